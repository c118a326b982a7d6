/**
 * Byte-level BPE encoding, apart from the tokenizer file: text → (NFC where the family asks) →
 * pre-tokens (GPT-2's or a family's, see pretokenize.ts) → UTF-8 bytes → merges applied by rank. Built from compact tables (`BpeTables`, a few typed arrays) that worker
 * threads receive as they are, instead of a tokenizer.json to parse. Each encoder keeps its own
 * word cache; the common path (a word seen before) allocates nothing.
 */
import { PairRanks } from './pair-ranks'
import { SymbolMerger } from './bpe-merge'
import { preTokenRegex, type PreTokenizerKind } from './pretokenize'
import type { TokenBuffer } from './token-buffer'
import type { TextPart } from './types'
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
  /** The id put before each document of a training stream (the post_processor's BOS), or -1. */
  beginOfText: number
}

/** Words longer than this are not cached (long whitespace or digit runs would pin memory). */
export const MAX_CACHED_WORD = 256

export class BpeEncoder {
  private readonly byteIds: Int32Array
  private readonly regex: RegExp
  private readonly normalizer: 'nfc' | null
  private readonly wholeWords: Map<string, number> | null
  private readonly beginOfText: number
  /** Holds a word's symbols while it is merged. */
  private readonly merger: SymbolMerger

  constructor(
    tables: BpeTables,
    pairs: PairRanks = new PairRanks(tables.merges),
    private readonly cache: WordCache = new WordCache(),
  ) {
    this.byteIds = tables.byteIds
    this.regex = preTokenRegex(tables.preTokenizer)
    this.normalizer = tables.normalizer
    this.wholeWords = tables.wholeWords
    this.beginOfText = tables.beginOfText
    this.merger = new SymbolMerger(pairs, tables.mergeIds)
  }

  /** Appends the ids of `text` to `out`; a document's start gets the family's BOS first. */
  encodeInto(text: string, out: TokenBuffer, part: TextPart = 'text'): void {
    if (part === 'document' && this.beginOfText >= 0) out.push(this.beginOfText)
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
          cache.add(text, start, end, hash, this.merger.symbols, count)
          out.pushFrom(this.merger.symbols, 0, count)
        }
      } else {
        const count = this.mergeWord(text, start, end) // may grow the symbols: read them after
        out.pushFrom(this.merger.symbols, 0, count)
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
        this.merger.symbols[0] = whole
        return 1
      }
    }
    return this.merger.merge(count)
  }

  /** The byte ids of the word's UTF-8 (lone surrogates as U+FFFD, as TextEncoder writes them). */
  private wordBytes(text: string, start: number, end: number): number {
    this.merger.reserve(3 * (end - start))
    const symbols = this.merger.symbols
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
}

const utf8 = new TextEncoder()

function byteLevelSpelling(word: string): string {
  return bytesToByteLevel(utf8.encode(word))
}
