/**
 * SentencePiece-style BPE encoding (Llama 2, TinyLlama: `byte_fallback` BPE over characters), as
 * `@huggingface/tokenizers` encodes it: the text's spaces become ▁ and, at a text's start, ▁ is
 * put in front (see `Prepend`); the characters are then merged by rank as one sequence (no
 * pre-tokenizer), and a character outside the vocabulary becomes its UTF-8 bytes as `<0xNN>`
 * tokens. Built from compact tables a worker thread receives as they are.
 *
 * Speed: the merged text is cut into chunks that merge independently, each looked up in a word
 * cache. A cut between characters a and b is exact when no merge joins a token ending in a to one
 * starting with b (every token that spans a cut is made, at some merge, of a left part ending at
 * the cut and a right part starting there; with none made, each side merges as it would alone).
 * Chunks are cut before a ▁ whose left neighbour no merge joins to ▁: in Llama's vocabulary, word
 * by word, a run of spaces staying with the word after it (`▁▁` is a token). A character outside
 * the vocabulary is in no merge, so it is always a piece of its own.
 */
import { SymbolMerger } from './bpe-merge'
import { MAX_CACHED_WORD } from './bpe-encoder'
import { PairRanks } from './pair-ranks'
import { hashSlice } from './slice-table'
import type { TokenBuffer } from './token-buffer'
import type { TextPart } from './types'
import { WordCache } from './word-cache'

export const META = '\u2581'
const META_CODE = 0x2581

/**
 * How ▁ is put before a text: `prepend` (the Prepend normalizer: before every text, whatever it
 * starts with), `metaspace-always` / `metaspace-first` (the Metaspace pre-tokenizer: unless the text
 * already starts with ▁ or a space; `first` only at the very start of a sequence), `never`.
 */
export type SentencePiecePrepend = 'prepend' | 'metaspace-always' | 'metaspace-first' | 'never'

/** What encoding needs of a SentencePiece-style BPE tokenizer. Structured-cloneable. */
export interface SentencePieceTables {
  vocabSize: number
  /** Code point below 65,536 → the id of that one-character token, or -1. */
  bmpIds: Int32Array
  /** The same above (few vocabularies have any). */
  astralIds: Map<number, number>
  /** Byte value → the id of `<0xNN>`. */
  byteIds: Int32Array
  /** Per rank, the pair it merges: (left id, right id). */
  merges: Int32Array
  /** Per rank, the id of the merged token. */
  mergeIds: Int32Array
  /** Code points some merge joins to a following ▁ (the last character of a merge's left part). */
  joinedBeforeMeta: Set<number>
  prepend: SentencePiecePrepend
  /** The id put before each document of a training stream (the post_processor's BOS), or -1. */
  beginOfText: number
}

const utf8 = new TextEncoder()

export class SentencePieceEncoder {
  private readonly merger: SymbolMerger
  /** One byte run's UTF-8 (a character is at most 4 bytes). */
  private readonly bytes = new Uint8Array(4)

  constructor(
    private readonly tables: SentencePieceTables,
    pairs: PairRanks = new PairRanks(tables.merges),
    private readonly cache: WordCache = new WordCache(),
  ) {
    this.merger = new SymbolMerger(pairs, tables.mergeIds)
  }

  /** Appends the ids of `text` (at `part` of its sequence, see TextPart) to `out`. */
  encodeInto(text: string, out: TokenBuffer, part: TextPart = 'text'): void {
    if (part === 'document' && this.tables.beginOfText >= 0) out.push(this.tables.beginOfText)
    if (text.length === 0) return
    const normalized = (this.prependsTo(text, part) ? META : '') + text.replaceAll(' ', META)
    const joined = this.tables.joinedBeforeMeta
    let start = 0
    for (let i = 1; i < normalized.length; i++) {
      if (normalized.charCodeAt(i) !== META_CODE) continue
      if (joined.has(codePointBefore(normalized, i))) continue
      this.encodeChunk(normalized, start, i, out)
      start = i
    }
    this.encodeChunk(normalized, start, normalized.length, out)
  }

  private prependsTo(text: string, part: TextPart): boolean {
    const prepend = this.tables.prepend
    if (part === 'continuation' || prepend === 'never') return false
    if (prepend === 'prepend') return true
    if (part === 'after-special' && prepend === 'metaspace-first') return false
    return text[0] !== ' ' && text[0] !== META
  }

  private encodeChunk(text: string, start: number, end: number, out: TokenBuffer): void {
    if (end - start > MAX_CACHED_WORD) {
      this.mergeChunk(text, start, end, out)
      return
    }
    const cache = this.cache
    const hash = hashSlice(text, start, end)
    const entry = cache.find(text, start, end, hash)
    if (entry >= 0) {
      out.pushFrom(cache.idPool(), cache.idStart(entry), cache.idLength(entry))
      return
    }
    const from = out.length
    this.mergeChunk(text, start, end, out)
    const ids = out.view().subarray(from)
    this.merger.reserve(ids.length)
    this.merger.symbols.set(ids)
    cache.add(text, start, end, hash, this.merger.symbols, ids.length)
  }

  /** Merges the runs of known characters of `text[start, end)`; the others become bytes. */
  private mergeChunk(text: string, start: number, end: number, out: TokenBuffer): void {
    const merger = this.merger
    merger.reserve(end - start)
    let count = 0
    for (let i = start; i < end; i++) {
      const point = text.codePointAt(i) as number
      if (point > 0xffff) i++
      const id = point <= 0xffff ? this.tables.bmpIds[point] : (this.tables.astralIds.get(point) ?? -1)
      if (id >= 0) {
        merger.symbols[count++] = id
        continue
      }
      count = this.flush(count, out)
      this.pushBytes(point, out)
    }
    this.flush(count, out)
  }

  private flush(count: number, out: TokenBuffer): number {
    if (count > 0) out.pushFrom(this.merger.symbols, 0, this.merger.merge(count))
    return 0
  }

  /** The `<0xNN>` ids of a character's UTF-8 (a lone surrogate as U+FFFD, as TextEncoder writes it). */
  private pushBytes(point: number, out: TokenBuffer): void {
    const { written } = utf8.encodeInto(String.fromCodePoint(point), this.bytes)
    for (let b = 0; b < (written ?? 0); b++) out.push(this.tables.byteIds[this.bytes[b]])
  }
}

function codePointBefore(text: string, i: number): number {
  const low = text.charCodeAt(i - 1)
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = text.charCodeAt(i - 2)
    if (high >= 0xd800 && high <= 0xdbff) return 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
  }
  return low
}
