/**
 * Byte-level BPE encoding, apart from the tokenizer file: text → (NFC where the family asks) →
 * pre-tokens (GPT-2's or a family's, see pretokenize.ts) → UTF-8 bytes → merges applied by rank. Built from compact tables (`BpeTables`, a few typed arrays) that worker
 * threads receive as they are, instead of a tokenizer.json to parse. Each encoder keeps its own
 * word cache; the common path (a word seen before) allocates nothing.
 */
import { NO_RANK, PairRanks } from './pair-ranks'
import { preTokenRegex, type PreTokenizerKind } from './pretokenize'
import type { TokenBuffer } from './token-buffer'
import { hashSlice } from './slice-table'
import { bytesToByteLevel } from './byte-level'
import { WordCache } from './word-cache'

/** What encoding needs of a byte-level BPE tokenizer. Structured-cloneable. */
export interface BpeTables {
  vocabSize: number
  /** Byte value → its id. */
  byteIds: Int32Array
  /** Per rank, the pair it merges: (left id, right id). */
  merges: Int32Array
  /** Per rank, the id of the merged token. */
  mergeIds: Int32Array
  /** How text is cut into words before merging. */
  preTokenizer: PreTokenizerKind
  /** Unicode normalization applied to the text first (Qwen2's files ask for NFC). */
  normalizer: 'nfc' | null
  /**
   * `ignore_merges` (Llama 3): a word that is a token of the vocabulary as a whole is that token,
   * whatever the merges would make of it. Keyed by the word's byte-level spelling.
   */
  wholeWords: Map<string, number> | null
}

/** Words longer than this are not cached (long whitespace or digit runs would pin memory). */
const MAX_CACHED_WORD = 256
/** Above this many bytes a word is merged with a heap (n log n) instead of repeated scans (n²). */
const SHORT_WORD = 128
const POSITION_SCALE = 2 ** 31

export class BpeEncoder {
  private readonly byteIds: Int32Array
  private readonly mergeIds: Int32Array
  private readonly regex: RegExp
  private readonly normalizer: 'nfc' | null
  private readonly wholeWords: Map<string, number> | null
  /** A word's symbols while it is merged (grown for long words). */
  private symbols = new Int32Array(1024)
  private ranks = new Int32Array(1024)

  constructor(
    tables: BpeTables,
    private readonly pairs: PairRanks = new PairRanks(tables.merges),
    private readonly cache: WordCache = new WordCache(),
  ) {
    this.byteIds = tables.byteIds
    this.mergeIds = tables.mergeIds
    this.regex = preTokenRegex(tables.preTokenizer)
    this.normalizer = tables.normalizer
    this.wholeWords = tables.wholeWords
  }

  /** Appends the ids of `text` to `out`. */
  encodeInto(text: string, out: TokenBuffer): void {
    if (this.normalizer === 'nfc') text = text.normalize('NFC')
    // Sticky matching from where the last word ended (see preTokenRegex): no match arrays.
    const regex = this.regex
    const cache = this.cache
    regex.lastIndex = 0
    let start = 0
    while (start < text.length && regex.test(text)) {
      const end = regex.lastIndex
      if (end - start === 1) {
        const code = text.charCodeAt(start)
        if (code < 0x80) {
          out.push(this.byteIds[code])
          start = end
          continue
        }
      }
      if (end - start <= MAX_CACHED_WORD) {
        const hash = hashSlice(text, start, end)
        const entry = cache.find(text, start, end, hash)
        if (entry >= 0) {
          out.pushFrom(cache.idPool(), cache.idStart(entry), cache.idLength(entry))
        } else {
          const count = this.mergeWord(text, start, end)
          cache.add(text, start, end, hash, this.symbols, count)
          out.pushFrom(this.symbols, 0, count)
        }
      } else {
        const count = this.mergeWord(text, start, end) // may grow this.symbols: read it after
        out.pushFrom(this.symbols, 0, count)
      }
      start = end
    }
  }

  /** Merges the word `text[start, end)`: its ids end up in `symbols[0, count)`; returns count. */
  private mergeWord(text: string, start: number, end: number): number {
    const count = this.wordBytes(text, start, end)
    if (count < 2) return count
    if (this.wholeWords !== null) {
      const whole = this.wholeWords.get(byteLevelSpelling(text.slice(start, end)))
      if (whole !== undefined) {
        this.symbols[0] = whole
        return 1
      }
    }
    return count <= SHORT_WORD ? this.mergeShort(count) : this.mergeLong(count)
  }

  /** The byte ids of the word's UTF-8 (lone surrogates as U+FFFD, as TextEncoder writes them). */
  private wordBytes(text: string, start: number, end: number): number {
    if (this.symbols.length < 3 * (end - start)) {
      this.symbols = new Int32Array(3 * (end - start))
      this.ranks = new Int32Array(3 * (end - start))
    }
    const symbols = this.symbols
    const ids = this.byteIds
    let n = 0
    for (let i = start; i < end; i++) {
      let code = text.charCodeAt(i)
      if (code < 0x80) {
        symbols[n++] = ids[code]
      } else if (code < 0x800) {
        symbols[n++] = ids[0xc0 | (code >> 6)]
        symbols[n++] = ids[0x80 | (code & 0x3f)]
      } else {
        if (code >= 0xd800 && code <= 0xdfff) {
          const low = i + 1 < end ? text.charCodeAt(i + 1) : 0
          if (code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
            const point = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
            symbols[n++] = ids[0xf0 | (point >> 18)]
            symbols[n++] = ids[0x80 | ((point >> 12) & 0x3f)]
            symbols[n++] = ids[0x80 | ((point >> 6) & 0x3f)]
            symbols[n++] = ids[0x80 | (point & 0x3f)]
            i++
            continue
          }
          code = 0xfffd
        }
        symbols[n++] = ids[0xe0 | (code >> 12)]
        symbols[n++] = ids[0x80 | ((code >> 6) & 0x3f)]
        symbols[n++] = ids[0x80 | (code & 0x3f)]
      }
    }
    return n
  }

  /** Repeatedly merges the lowest-ranked pair, leftmost first, keeping each pair's rank at hand. */
  private mergeShort(count: number): number {
    const symbols = this.symbols
    const ranks = this.ranks
    const pairs = this.pairs
    let n = count
    for (let i = 0; i + 1 < n; i++) ranks[i] = pairs.get(symbols[i], symbols[i + 1])
    while (n > 1) {
      let best = NO_RANK
      let at = -1
      for (let i = 0; i + 1 < n; i++) {
        if (ranks[i] < best) {
          best = ranks[i]
          at = i
        }
      }
      if (at < 0) break
      symbols[at] = this.mergeIds[best]
      for (let i = at + 1; i + 1 < n; i++) symbols[i] = symbols[i + 1]
      for (let i = at; i + 2 < n; i++) ranks[i] = ranks[i + 1]
      n--
      if (at > 0) ranks[at - 1] = pairs.get(symbols[at - 1], symbols[at])
      if (at + 1 < n) ranks[at] = pairs.get(symbols[at], symbols[at + 1])
    }
    return n
  }

  /**
   * The same merge order for long words, in n log n: a linked list of symbols and a heap of
   * (rank, position) entries; an entry whose pair has changed since it was pushed is skipped.
   */
  private mergeLong(n: number): number {
    const symbols = this.symbols
    const pairs = this.pairs
    const next = new Int32Array(n)
    const prev = new Int32Array(n)
    const alive = new Uint8Array(n).fill(1)
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1
      prev[i] = i - 1
    }
    const heap = new MinHeap()
    for (let i = 0; i + 1 < n; i++) {
      const rank = pairs.get(symbols[i], symbols[i + 1])
      if (rank !== NO_RANK) heap.push(rank * POSITION_SCALE + i)
    }
    while (heap.size > 0) {
      const entry = heap.pop()
      const rank = Math.floor(entry / POSITION_SCALE)
      const i = entry - rank * POSITION_SCALE
      const j = next[i]
      if (!alive[i] || j < 0 || pairs.get(symbols[i], symbols[j]) !== rank) continue
      symbols[i] = this.mergeIds[rank]
      alive[j] = 0
      next[i] = next[j]
      if (next[j] >= 0) prev[next[j]] = i
      if (prev[i] >= 0) {
        const before = pairs.get(symbols[prev[i]], symbols[i])
        if (before !== NO_RANK) heap.push(before * POSITION_SCALE + prev[i])
      }
      if (next[i] >= 0) {
        const after = pairs.get(symbols[i], symbols[next[i]])
        if (after !== NO_RANK) heap.push(after * POSITION_SCALE + i)
      }
    }
    // Survivors, left to right, moved to the front (each lands at or before where it was).
    let count = 0
    for (let i = 0; i >= 0; i = next[i]) symbols[count++] = symbols[i]
    return count
  }
}

const utf8 = new TextEncoder()

function byteLevelSpelling(word: string): string {
  return bytesToByteLevel(utf8.encode(word))
}

class MinHeap {
  private items: number[] = []

  get size(): number {
    return this.items.length
  }

  push(value: number): void {
    const items = this.items
    items.push(value)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent] <= value) break
      items[i] = items[parent]
      i = parent
    }
    items[i] = value
  }

  pop(): number {
    const items = this.items
    const top = items[0]
    const last = items.pop() as number
    const n = items.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= n) break
        const child = left + 1 < n && items[left + 1] < items[left] ? left + 1 : left
        if (items[child] >= last) break
        items[i] = items[child]
        i = child
      }
      items[i] = last
    }
    return top
  }
}
