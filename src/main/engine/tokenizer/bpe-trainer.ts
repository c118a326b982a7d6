/**
 * Byte-level BPE training. Words (GPT-2 pre-tokens) are counted once; then each step merges the
 * most frequent adjacent pair of tokens. Pair counts and the words each pair occurs in are updated
 * incrementally from the words a merge touches, so a step costs the size of those words, not the
 * corpus. The choice is deterministic: highest count, then the smallest (left id, right id).
 */
import type { TokenizeProgress } from '../../../shared/tokenizer'
import { bytesToByteLevel } from './byte-level'
import { PairHeap } from './pair-heap'
import { forEachPreToken, preTokenRegex } from './pretokenize'
import { createYielder, throwIfCancelled } from './yield'

export interface BpeTrainOptions {
  /** Number of non-special tokens to reach: 256 bytes plus the learned merges. */
  tokens: number
  onProgress?: (progress: TokenizeProgress) => void
  signal?: AbortSignal
}

export interface TrainedBpe {
  /** Token id → its bytes. Ids 0–255 are the bytes themselves; merged tokens follow in order learned. */
  tokens: Uint8Array[]
  /** Merges in rank order, as pairs of token ids. */
  merges: Array<[number, number]>
}

const PROGRESS_INTERVAL_MS = 50

export async function trainBpe(
  texts: Iterable<string>,
  options: BpeTrainOptions,
): Promise<TrainedBpe> {
  return learnMerges(await countWords(texts, options.signal), options)
}

/** The merge loop over counted words (word → occurrences); the order of the map does not matter. */
export async function learnMerges(
  words: Map<string, number>,
  options: BpeTrainOptions,
): Promise<TrainedBpe> {
  const maybeYield = createYielder(options.signal)
  const target = options.tokens
  // Every id stays below `target`, so `left * target + right` is a unique, order-preserving pair key.
  const base = target
  const corpus = WordTable.fromCounts(words)
  const pairCount = new Map<number, number>()
  const where = new Map<number, number[]>()
  const heap = new PairHeap()

  const { symbols, starts, lengths, counts } = corpus
  for (let w = 0; w < counts.length; w++) {
    const end = starts[w] + lengths[w]
    for (let i = starts[w]; i + 1 < end; i++) {
      const key = symbols[i] * base + symbols[i + 1]
      pairCount.set(key, (pairCount.get(key) ?? 0) + counts[w])
      noteWord(where, key, w)
    }
  }
  for (const [key, count] of pairCount) heap.push(count, key)

  const tokens: Uint8Array[] = Array.from({ length: 256 }, (_, byte) => Uint8Array.of(byte))
  const idOf = new Map<string, number>()
  const merges: Array<[number, number]> = []
  const merged = new Set<number>()
  const total = Math.max(0, target - 256)
  let lastReport = -Infinity
  const report = (force: boolean): void => {
    const now = performance.now()
    if (!options.onProgress || (!force && now - lastReport < PROGRESS_INTERVAL_MS)) return
    lastReport = now
    options.onProgress({ phase: 'train', done: Math.min(total, tokens.length - 256), total })
  }
  report(true)

  while (tokens.length < target) {
    const key = popBestPair(heap, pairCount)
    if (key < 0) break // every word is a single token: nothing left to merge
    const left = Math.floor(key / base)
    const right = key - left * base
    const bytes = concatBytes(tokens[left], tokens[right])
    // Two merges can spell the same bytes ("ab"+"c", "a"+"bc"): they share one id, as in Hugging Face.
    const spelling = bytesToByteLevel(bytes)
    let id = idOf.get(spelling)
    if (id === undefined) {
      id = tokens.length
      tokens.push(bytes)
      idOf.set(spelling, id)
    }
    if (!merged.has(key)) {
      merged.add(key)
      merges.push([left, right])
    }
    applyMerge(corpus, pairCount, where, heap, key, left, right, id, base)
    report(false)
    const pause = maybeYield()
    if (pause) await pause
  }
  throwIfCancelled(options.signal)
  report(true)
  return { tokens, merges }
}

/** Counts each distinct pre-token over all texts. */
export async function countWords(
  texts: Iterable<string>,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const maybeYield = createYielder(signal)
  const regex = preTokenRegex()
  const counts = new Map<string, number>()
  const add = (word: string): void => {
    const count = counts.get(word)
    // A new key is stored as a copy: a match is a slice that would keep its whole text alive.
    if (count === undefined) counts.set(word.length >= 13 ? copyString(word) : word, 1)
    else counts.set(word, count + 1)
  }
  for (const text of texts) {
    forEachPreToken(text, regex, add)
    const pause = maybeYield()
    if (pause) await pause
  }
  return counts
}

/** Distinct words as runs of token ids in one flat array; merges only shorten a run, in place. */
class WordTable {
  constructor(
    readonly symbols: Int32Array,
    readonly starts: Int32Array,
    readonly lengths: Int32Array,
    readonly counts: Float64Array,
  ) {}

  static fromCounts(words: Map<string, number>): WordTable {
    const encoder = new TextEncoder()
    const encoded: Uint8Array[] = []
    let total = 0
    for (const word of words.keys()) {
      const bytes = encoder.encode(word)
      encoded.push(bytes)
      total += bytes.length
    }
    const symbols = new Int32Array(total)
    const starts = new Int32Array(encoded.length)
    const lengths = new Int32Array(encoded.length)
    const counts = new Float64Array(encoded.length)
    let offset = 0
    let w = 0
    for (const count of words.values()) {
      const bytes = encoded[w]
      symbols.set(bytes, offset)
      starts[w] = offset
      lengths[w] = bytes.length
      counts[w] = count
      offset += bytes.length
      w++
    }
    return new WordTable(symbols, starts, lengths, counts)
  }
}

/** Records that word `w` contains pair `key` (words are visited in order, so a repeat is the last). */
function noteWord(where: Map<number, number[]>, key: number, w: number): void {
  const list = where.get(key)
  if (list === undefined) where.set(key, [w])
  else if (list[list.length - 1] !== w) list.push(w)
}

/**
 * The pair with the highest current count, or -1. A popped entry whose count is out of date is
 * pushed back with its current count (or dropped at zero); the heap always holds an entry whose
 * count is at least each pair's current one, so the first up-to-date entry is the true maximum.
 */
function popBestPair(heap: PairHeap, pairCount: Map<number, number>): number {
  while (heap.size > 0) {
    const [count, key] = heap.pop()
    const current = pairCount.get(key) ?? 0
    if (current === count) return key
    if (current > 0) heap.push(current, key)
  }
  return -1
}

function applyMerge(
  corpus: WordTable,
  pairCount: Map<number, number>,
  where: Map<number, number[]>,
  heap: PairHeap,
  key: number,
  left: number,
  right: number,
  id: number,
  base: number,
): void {
  const { symbols, starts, lengths, counts } = corpus
  const words = where.get(key) ?? []
  where.delete(key)
  const grown = new Set<number>()
  const change = (pair: number, delta: number): void => {
    const next = (pairCount.get(pair) ?? 0) + delta
    if (next === 0) {
      pairCount.delete(pair)
      where.delete(pair)
    } else pairCount.set(pair, next)
  }
  const grow = (pair: number, delta: number, w: number): void => {
    pairCount.set(pair, (pairCount.get(pair) ?? 0) + delta)
    noteWord(where, pair, w)
    grown.add(pair)
  }

  for (const w of words) {
    const count = counts[w]
    const start = starts[w]
    const end = start + lengths[w]
    let read = start
    let write = start
    // Rewrite the word left to right; each merge replaces its neighbours' pairs. The left neighbour
    // is read from what was already written, so back-to-back merges ("a b a b") net out correctly.
    while (read < end) {
      if (read + 1 < end && symbols[read] === left && symbols[read + 1] === right) {
        if (write > start) {
          const before = symbols[write - 1]
          change(before * base + left, -count)
          grow(before * base + id, count, w)
        }
        if (read + 2 < end) {
          const after = symbols[read + 2]
          change(right * base + after, -count)
          grow(id * base + after, count, w)
        }
        symbols[write++] = id
        read += 2
      } else {
        symbols[write++] = symbols[read++]
      }
    }
    lengths[w] = write - start
  }
  // Overlapping occurrences ("a a a") also decremented the merged pair itself; it is gone now.
  pairCount.delete(key)
  where.delete(key)
  for (const pair of grown) {
    const count = pairCount.get(pair) ?? 0
    if (count > 0) heap.push(count, pair)
    else if (count === 0) where.delete(pair)
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** A string with its own characters (V8 keeps substrings of 13+ characters as views of their parent). */
function copyString(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string
}
