/**
 * Byte-level BPE (GPT-2 style): text → GPT-2 pre-tokens → UTF-8 bytes → merges applied by rank.
 * Saved and loaded as a Hugging Face `tokenizer.json`; Hugging Face's own tokenizer gives the same ids.
 *
 * Ids: 0–255 are the bytes in plain byte order (id = byte value), then the merged tokens in the
 * order training learned them, then the special tokens (`<|endoftext|>`). Files from elsewhere
 * (GPT-2's own, with another byte order) load too: ids are whatever their `vocab` says.
 *
 * Special tokens are never recognised inside text: "<|endoftext|>" typed in a file is encoded as
 * ordinary characters, so a corpus cannot forge document boundaries (Hugging Face's tokenizer does
 * split it out as the special token; only `endOfText` placed by the dataset means a boundary).
 */
import { UserError } from '../../../shared/errors'
import { BYTE_TO_CHAR, byteLevelToBytes, bytesToByteLevel } from './byte-level'
import type { TrainedBpe } from './bpe-trainer'
import { preTokenRegex } from './pretokenize'
import { TokenBuffer } from './token-buffer'
import type { Tokenizer } from './types'

export const END_OF_TEXT = '<|endoftext|>'
/** Special tokens every trained BPE tokenizer gets, appended after the merges. */
export const BPE_SPECIAL_TOKENS: readonly string[] = [END_OF_TEXT]

/** Words longer than this are not cached (long whitespace or digit runs would pin memory). */
const MAX_CACHED_WORD = 256
/** The word cache is emptied when it reaches this many entries: bounded memory, no LRU bookkeeping. */
const CACHE_LIMIT = 200_000
/** Above this many bytes a word is merged with a heap (n log n) instead of repeated scans (n²). */
const SHORT_WORD = 128
const NO_RANK = 0x7fffffff
const POSITION_SCALE = 2 ** 31

interface BpeSpec {
  /** Byte-level spelling → id, for the model's tokens (specials excluded). */
  vocab: Map<string, number>
  /** Merges in rank order, as pairs of spellings. */
  merges: Array<[string, string]>
  specials: Array<{ id: number; content: string }>
}

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const
  readonly fileName = 'tokenizer.json' as const
  readonly vocabSize: number
  readonly endOfText: number
  private readonly spec: BpeSpec
  /** id → its bytes (a special token: the UTF-8 of its text); undefined for an unused id. */
  private readonly tokenBytes: Array<Uint8Array | undefined>
  private readonly byteIds = new Int32Array(256)
  private readonly pairRanks = new Map<number, number>()
  private readonly mergeIds: Int32Array
  private readonly keyBase: number
  private readonly regex = preTokenRegex()
  private readonly encoder = new TextEncoder()
  private readonly cache = new Map<string, number[]>()
  private file: string | undefined

  private constructor(spec: BpeSpec, source: string) {
    const invalid = (why: string): UserError =>
      new UserError('invalid-input', `${source} is not a usable byte-level BPE tokenizer: ${why}.`)
    this.spec = spec
    let maxId = -1
    for (const id of spec.vocab.values()) maxId = Math.max(maxId, id)
    for (const special of spec.specials) maxId = Math.max(maxId, special.id)
    this.vocabSize = maxId + 1
    this.keyBase = this.vocabSize

    this.tokenBytes = new Array<Uint8Array | undefined>(this.vocabSize)
    for (const [spelling, id] of spec.vocab) {
      const bytes = byteLevelToBytes(spelling)
      if (bytes === undefined)
        throw invalid(`token ${JSON.stringify(spelling)} is not in the byte-level alphabet`)
      this.tokenBytes[id] = bytes
    }
    for (let byte = 0; byte < 256; byte++) {
      const id = spec.vocab.get(BYTE_TO_CHAR[byte])
      if (id === undefined) throw invalid(`byte ${byte} has no token`)
      this.byteIds[byte] = id
    }

    this.mergeIds = new Int32Array(spec.merges.length)
    spec.merges.forEach(([left, right], rank) => {
      const a = spec.vocab.get(left)
      const b = spec.vocab.get(right)
      const merged = spec.vocab.get(left + right)
      if (a === undefined || b === undefined || merged === undefined) {
        throw invalid(`merge ${rank} ("${left} ${right}") uses a token missing from the vocabulary`)
      }
      this.mergeIds[rank] = merged
      const key = a * this.keyBase + b
      if (!this.pairRanks.has(key)) this.pairRanks.set(key, rank)
    })

    const utf8 = new TextEncoder()
    for (const special of spec.specials) this.tokenBytes[special.id] = utf8.encode(special.content)
    const endOfText = spec.specials.find((special) => special.content === END_OF_TEXT)
    if (endOfText === undefined) throw invalid(`it has no ${END_OF_TEXT} token`)
    this.endOfText = endOfText.id
  }

  /** A tokenizer from trained merges; the specials get the ids after the learned tokens. */
  static fromTrained(
    trained: TrainedBpe,
    specials: readonly string[] = BPE_SPECIAL_TOKENS,
  ): BpeTokenizer {
    const spellings = trained.tokens.map((bytes) => bytesToByteLevel(bytes))
    const vocab = new Map<string, number>()
    spellings.forEach((spelling, id) => vocab.set(spelling, id))
    const merges = trained.merges.map(([a, b]): [string, string] => [spellings[a], spellings[b]])
    const added = specials.map((content, i) => ({ id: trained.tokens.length + i, content }))
    return new BpeTokenizer({ vocab, merges, specials: added }, 'the trained tokenizer')
  }

  /** Reads a Hugging Face `tokenizer.json` (a byte-level BPE one); `source` names it in errors. */
  static parse(json: string, source: string): BpeTokenizer {
    const invalid = (why: string): UserError =>
      new UserError(
        'invalid-input',
        `${source} is not a usable byte-level BPE tokenizer.json: ${why}.`,
      )
    let file: HfTokenizerFile
    try {
      file = JSON.parse(json) as HfTokenizerFile
    } catch {
      throw invalid('it is not valid JSON')
    }
    const model = file?.model
    if (model?.type !== 'BPE' || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) {
      throw invalid('its model is not BPE with a vocab and merges')
    }
    if (file.pre_tokenizer?.type !== 'ByteLevel' || file.pre_tokenizer.add_prefix_space === true) {
      throw invalid('its pre-tokenizer is not ByteLevel without a prefix space')
    }
    if (file.normalizer) throw invalid('it has a normalizer, which this engine does not apply')
    const vocab = new Map<string, number>()
    for (const [spelling, id] of Object.entries(model.vocab)) {
      if (!Number.isInteger(id) || id < 0)
        throw invalid(`token ${JSON.stringify(spelling)} has no valid id`)
      vocab.set(spelling, id)
    }
    const merges = model.merges.map((merge, rank): [string, string] => {
      const parts = typeof merge === 'string' ? merge.split(' ') : merge
      if (!Array.isArray(parts) || parts.length !== 2) throw invalid(`merge ${rank} is not a pair`)
      return [String(parts[0]), String(parts[1])]
    })
    const specials = (file.added_tokens ?? []).map((token) => ({
      id: token.id,
      content: token.content,
    }))
    return new BpeTokenizer({ vocab, merges, specials }, source)
  }

  encode(text: string): number[] {
    const out = new TokenBuffer(Math.ceil(text.length / 3))
    this.encodeInto(text, out)
    return out.toArray()
  }

  encodeInto(text: string, out: TokenBuffer): void {
    // Sticky matching from where the last word ended (see preTokenRegex): no match arrays.
    const regex = this.regex
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
      const word = text.slice(start, end)
      start = end
      let ids = this.cache.get(word)
      if (ids === undefined) {
        ids = this.encodeWord(word)
        if (word.length <= MAX_CACHED_WORD) {
          if (this.cache.size >= CACHE_LIMIT) this.cache.clear()
          this.cache.set(word, ids)
        }
      }
      out.pushAll(ids)
    }
  }

  decode(ids: ArrayLike<number>): string {
    const parts: Uint8Array[] = []
    let length = 0
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.bytesOf(ids[i])
      parts.push(bytes)
      length += bytes.length
    }
    const all = new Uint8Array(length)
    let at = 0
    for (const part of parts) {
      all.set(part, at)
      at += part.length
    }
    // ignoreBOM keeps a leading U+FEFF, exactly as TextEncoder wrote it.
    return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(all)
  }

  pieces(ids: ArrayLike<number>): string[] {
    const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })
    const pieces: string[] = []
    for (let i = 0; i < ids.length; i++)
      pieces.push(decoder.decode(this.bytesOf(ids[i]), { stream: true }))
    const tail = decoder.decode()
    if (tail && pieces.length > 0) pieces[pieces.length - 1] += tail
    return pieces
  }

  /** The Hugging Face `tokenizer.json`, vocabulary in id order, one entry per line. */
  serialize(): string {
    // Immutable, and asked for often (hashing, each worker job): build it once.
    this.file ??= this.buildFile()
    return this.file
  }

  private buildFile(): string {
    const { vocab, merges, specials } = this.spec
    const entries = [...vocab].sort((x, y) => x[1] - y[1])
    const vocabJson = entries
      .map(([spelling, id]) => `      ${JSON.stringify(spelling)}: ${id}`)
      .join(',\n')
    const mergesJson = merges.map(([a, b]) => `      ${JSON.stringify(`${a} ${b}`)}`).join(',\n')
    const added = specials.map((special) =>
      JSON.stringify({
        id: special.id,
        content: special.content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      }),
    )
    const byteLevel = JSON.stringify({
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    })
    return [
      '{',
      '  "version": "1.0",',
      '  "truncation": null,',
      '  "padding": null,',
      `  "added_tokens": [${added.map((token) => `\n    ${token}`).join(',')}\n  ],`,
      '  "normalizer": null,',
      `  "pre_tokenizer": ${byteLevel},`,
      '  "post_processor": null,',
      `  "decoder": ${byteLevel},`,
      '  "model": {',
      '    "type": "BPE",',
      '    "dropout": null,',
      '    "unk_token": null,',
      '    "continuing_subword_prefix": "",',
      '    "end_of_word_suffix": "",',
      '    "fuse_unk": false,',
      '    "byte_fallback": false,',
      '    "ignore_merges": false,',
      `    "vocab": {\n${vocabJson}\n    },`,
      `    "merges": [\n${mergesJson}\n    ]`,
      '  }',
      '}',
      '',
    ].join('\n')
  }

  private bytesOf(id: number): Uint8Array {
    const bytes = this.tokenBytes[id]
    if (bytes === undefined)
      throw new UserError(
        'invalid-input',
        `Token id ${id} is not in this vocabulary (0–${this.vocabSize - 1}).`,
      )
    return bytes
  }

  private encodeWord(word: string): number[] {
    const symbols = this.wordSymbols(word)
    if (symbols.length < 2) return symbols
    return symbols.length <= SHORT_WORD ? this.mergeShort(symbols) : this.mergeLong(symbols)
  }

  /** The byte ids of a word (ASCII without TextEncoder, the common case in code). */
  private wordSymbols(word: string): number[] {
    const symbols = new Array<number>(word.length)
    for (let i = 0; i < word.length; i++) {
      const code = word.charCodeAt(i)
      if (code >= 0x80) return Array.from(this.encoder.encode(word), (byte) => this.byteIds[byte])
      symbols[i] = this.byteIds[code]
    }
    return symbols
  }

  private rank(left: number, right: number): number {
    return this.pairRanks.get(left * this.keyBase + right) ?? NO_RANK
  }

  /** Repeatedly merges the lowest-ranked pair, leftmost first, keeping each pair's rank at hand. */
  private mergeShort(symbols: number[]): number[] {
    const ranks = new Array<number>(symbols.length - 1)
    for (let i = 0; i + 1 < symbols.length; i++) ranks[i] = this.rank(symbols[i], symbols[i + 1])
    for (;;) {
      let best = NO_RANK
      let at = -1
      for (let i = 0; i < ranks.length; i++) {
        if (ranks[i] < best) {
          best = ranks[i]
          at = i
        }
      }
      if (at < 0) return symbols
      symbols[at] = this.mergeIds[best]
      symbols.splice(at + 1, 1)
      ranks.splice(at, 1)
      if (at > 0) ranks[at - 1] = this.rank(symbols[at - 1], symbols[at])
      if (at < ranks.length) ranks[at] = this.rank(symbols[at], symbols[at + 1])
    }
  }

  /**
   * The same merge order for long words, in n log n: a linked list of symbols and a heap of
   * (rank, position) entries; an entry whose pair has changed since it was pushed is skipped.
   */
  private mergeLong(input: number[]): number[] {
    const n = input.length
    const symbols = Int32Array.from(input)
    const next = new Int32Array(n)
    const prev = new Int32Array(n)
    const alive = new Uint8Array(n).fill(1)
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1
      prev[i] = i - 1
    }
    const heap = new MinHeap()
    for (let i = 0; i + 1 < n; i++) {
      const rank = this.rank(symbols[i], symbols[i + 1])
      if (rank !== NO_RANK) heap.push(rank * POSITION_SCALE + i)
    }
    while (heap.size > 0) {
      const entry = heap.pop()
      const rank = Math.floor(entry / POSITION_SCALE)
      const i = entry - rank * POSITION_SCALE
      const j = next[i]
      if (!alive[i] || j < 0 || this.rank(symbols[i], symbols[j]) !== rank) continue
      symbols[i] = this.mergeIds[rank]
      alive[j] = 0
      next[i] = next[j]
      if (next[j] >= 0) prev[next[j]] = i
      if (prev[i] >= 0) {
        const before = this.rank(symbols[prev[i]], symbols[i])
        if (before !== NO_RANK) heap.push(before * POSITION_SCALE + prev[i])
      }
      if (next[i] >= 0) {
        const after = this.rank(symbols[i], symbols[next[i]])
        if (after !== NO_RANK) heap.push(after * POSITION_SCALE + i)
      }
    }
    const result: number[] = []
    for (let i = 0; i >= 0; i = next[i]) result.push(symbols[i])
    return result
  }
}

interface HfTokenizerFile {
  model?: {
    type?: string
    vocab?: Record<string, number>
    merges?: Array<string | [string, string]>
  }
  pre_tokenizer?: { type?: string; add_prefix_space?: boolean } | null
  normalizer?: unknown
  added_tokens?: Array<{ id: number; content: string }>
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
