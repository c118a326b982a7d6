/**
 * Byte-level BPE training. Words (GPT-2 pre-tokens) are counted once; then each step merges the
 * most frequent adjacent pair of tokens. Pair counts and the words each pair occurs in are updated
 * incrementally from the words a merge touches, so a step costs the size of those words, not the
 * corpus. The choice is deterministic: highest count, then the smallest (left id, right id).
 */
import type { TokenizeProgress } from '../../../shared/tokenizer'
import { bytesToByteLevel } from './byte-level'
import { PairHeap } from './pair-heap'
import { PairStats } from './pair-stats'
import { WordCounter } from './word-counter'
import { createYielder, throwIfCancelled } from './yield'

export interface BpeTrainOptions {
  /** Number of non-special tokens to reach: 256 bytes plus the learned merges. */
  tokens: number
  onProgress?: (progress: TokenizeProgress) => void
  signal?: AbortSignal
}

/** Distinct words and how often each occurs (the order does not matter). */
export interface CountedWords {
  words: readonly string[]
  counts: ArrayLike<number>
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

/** The merge loop over counted words. */
export async function learnMerges(
  counted: CountedWords,
  options: BpeTrainOptions,
): Promise<TrainedBpe> {
  const maybeYield = createYielder(options.signal)
  const target = options.tokens
  // Every id stays below `target`, so `left * target + right` is a unique, order-preserving pair key.
  const base = target
  const corpus = WordTable.fromCounts(counted)
  const stats = new PairStats(corpus.symbols.length)
  const heap = new PairHeap()

  const { symbols, starts, lengths, counts } = corpus
  for (let w = 0; w < counts.length; w++) {
    const end = starts[w] + lengths[w]
    for (let i = starts[w]; i + 1 < end; i++) {
      const pair = stats.pairOf(symbols[i], symbols[i + 1])
      stats.counts[pair] += counts[w]
      stats.note(pair, w)
    }
  }
  for (let pair = 0; pair < stats.size; pair++)
    heap.push(stats.counts[pair], stats.lefts[pair] * base + stats.rights[pair], pair)

  const tokens: Uint8Array[] = Array.from({ length: 256 }, (_, byte) => Uint8Array.of(byte))
  const idOf = new Map<string, number>()
  const merges: Array<[number, number]> = []
  let done: Uint8Array = new Uint8Array(0) // per pair: listed in `merges` already
  const merger = new Merger(corpus, stats, heap, base)
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
    const pair = popBestPair(heap, stats)
    if (pair < 0) break // every word is a single token: nothing left to merge
    const left = stats.lefts[pair]
    const right = stats.rights[pair]
    const bytes = concatBytes(tokens[left], tokens[right])
    // Two merges can spell the same bytes ("ab"+"c", "a"+"bc"): they share one id, as in Hugging Face.
    const spelling = bytesToByteLevel(bytes)
    let id = idOf.get(spelling)
    if (id === undefined) {
      id = tokens.length
      tokens.push(bytes)
      idOf.set(spelling, id)
    }
    // A pair merged before can form again (from another pair spelling one of its tokens): it is
    // applied again but listed once.
    if (pair >= done.length) done = grownFlags(done, stats.size)
    if (!done[pair]) {
      done[pair] = 1
      merges.push([left, right])
    }
    merger.apply(pair, left, right, id)
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
): Promise<CountedWords> {
  const maybeYield = createYielder(signal)
  const counter = new WordCounter()
  for (const text of texts) {
    counter.countText(text)
    const pause = maybeYield()
    if (pause) await pause
  }
  return counter.entries()
}

/** Distinct words as runs of token ids in one flat array; merges only shorten a run, in place. */
class WordTable {
  constructor(
    readonly symbols: Int32Array,
    readonly starts: Int32Array,
    readonly lengths: Int32Array,
    readonly counts: Float64Array,
  ) {}

  static fromCounts({ words, counts: given }: CountedWords): WordTable {
    const starts = new Int32Array(words.length)
    const lengths = new Int32Array(words.length)
    const counts = Float64Array.from(given)
    let total = 0
    words.forEach((word, w) => {
      starts[w] = total
      total += lengths[w] = Buffer.byteLength(word, 'utf8')
    })
    // All words' UTF-8 in one buffer (lone surrogates as U+FFFD, as TextEncoder writes them).
    const bytes = Buffer.allocUnsafe(total)
    words.forEach((word, w) => bytes.write(word, starts[w], lengths[w], 'utf8'))
    return new WordTable(Int32Array.from(bytes), starts, lengths, counts)
  }
}

/**
 * The pair with the highest current count, or -1. A popped entry whose count is out of date is
 * pushed back with its current count (or dropped at zero); the heap always holds an entry whose
 * count is at least each pair's current one, so the first up-to-date entry is the true maximum.
 */
function popBestPair(heap: PairHeap, stats: PairStats): number {
  while (heap.size > 0) {
    const pair = heap.pop()
    const current = stats.counts[pair]
    if (current === heap.poppedCount) return pair
    if (current > 0) heap.push(current, heap.poppedKey, pair)
  }
  return -1
}

/** Applies one merge to every word holding its pair, updating the pair statistics and the heap. */
class Merger {
  /** Pairs whose count grew during the current merge (to push on the heap once, at the end). */
  private grown = new Int32Array(1 << 10)
  private grownCount = 0
  /** Per pair, the merge that last added it to `grown`. */
  private grownAt = new Int32Array(0)
  private merge = 0

  constructor(
    private readonly corpus: WordTable,
    private readonly stats: PairStats,
    private readonly heap: PairHeap,
    private readonly base: number,
  ) {}

  apply(pair: number, left: number, right: number, id: number): void {
    const { symbols, starts, lengths, counts } = this.corpus
    const stats = this.stats
    this.merge++
    this.grownCount = 0
    const words = stats.takeWords(pair)
    for (let node = words; node >= 0; node = stats.nextNode(node)) {
      const w = stats.nodeWord(node)
      const count = counts[w]
      const start = starts[w]
      const end = start + lengths[w]
      let read = start
      let write = start
      // Rewrite the word left to right; each merge replaces its neighbours' pairs. The left
      // neighbour is read from what was already written, so back-to-back merges ("a b a b") net out.
      while (read < end) {
        if (read + 1 < end && symbols[read] === left && symbols[read + 1] === right) {
          if (write > start) {
            const before = symbols[write - 1]
            this.change(stats.pairOf(before, left), -count)
            this.grow(stats.pairOf(before, id), count, w)
          }
          if (read + 2 < end) {
            const after = symbols[read + 2]
            this.change(stats.pairOf(right, after), -count)
            this.grow(stats.pairOf(id, after), count, w)
          }
          symbols[write++] = id
          read += 2
        } else {
          symbols[write++] = symbols[read++]
        }
      }
      lengths[w] = write - start
    }
    stats.recycle(words)
    // Overlapping occurrences ("a a a") also decremented the merged pair itself; it is gone now.
    stats.counts[pair] = 0
    stats.forgetWords(pair)
    for (let i = 0; i < this.grownCount; i++) {
      const grown = this.grown[i]
      const count = stats.counts[grown]
      if (count > 0)
        this.heap.push(count, stats.lefts[grown] * this.base + stats.rights[grown], grown)
      else if (count === 0) stats.forgetWords(grown)
    }
  }

  private change(pair: number, delta: number): void {
    const next = this.stats.counts[pair] + delta
    this.stats.counts[pair] = next
    if (next === 0) this.stats.forgetWords(pair)
  }

  private grow(pair: number, delta: number, word: number): void {
    this.stats.counts[pair] += delta
    this.stats.note(pair, word)
    if (pair >= this.grownAt.length) {
      const grownAt = new Int32Array(Math.max(2 * this.grownAt.length, this.stats.size, 1024))
      grownAt.set(this.grownAt)
      this.grownAt = grownAt
    }
    if (this.grownAt[pair] === this.merge) return
    this.grownAt[pair] = this.merge
    if (this.grownCount === this.grown.length) {
      const grown = new Int32Array(2 * this.grown.length)
      grown.set(this.grown)
      this.grown = grown
    }
    this.grown[this.grownCount++] = pair
  }
}

function grownFlags(flags: Uint8Array, size: number): Uint8Array {
  const next = new Uint8Array(Math.max(size, 2 * flags.length, 1024))
  next.set(flags)
  return next
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
