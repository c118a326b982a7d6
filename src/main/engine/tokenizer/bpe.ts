/**
 * Byte-level BPE (GPT-2 style): text → GPT-2 pre-tokens → UTF-8 bytes → merges applied by rank.
 * Saved and loaded as a Hugging Face `tokenizer.json`; Hugging Face's own tokenizer gives the same ids.
 * Files of today's byte-level families load too (SmolLM, Qwen2, Llama 3: their pre-tokenizers,
 * Qwen2's NFC, Llama 3's `ignore_merges`, see family.ts) and are written back as they came, and so
 * do SentencePiece-style ones (Llama 2, TinyLlama: BPE over characters with byte fallback, see
 * sentencepiece.ts). A family's post_processor BOS starts each document and prompt (`beginOfText`).
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
import { BpeEncoder, type BpeTables } from './bpe-encoder'
import type { TrainedBpe } from './bpe-trainer'
import { readFamilyShape, GPT2_SHAPE, type ByteLevelShape, type FamilyShape } from './family'
import { PairRanks } from './pair-ranks'
import { TokenBuffer } from './token-buffer'
import { SentencePieceVocab } from './sentencepiece'
import { SentencePieceEncoder } from './sentencepiece-encoder'
import {
  MAX_VOCAB_SIZE,
  type EncoderSpec,
  type IdEncoder,
  type TextPart,
  type Tokenizer,
} from './types'

export const END_OF_TEXT = '<|endoftext|>'
/** Special tokens every trained BPE tokenizer gets, appended after the merges. */
export const BPE_SPECIAL_TOKENS: readonly string[] = [END_OF_TEXT]
/** The tokens that can end a document, in order of preference (GPT-2 and most; Llama 3; Llama 2). */
const END_OF_TEXT_CANDIDATES: readonly string[] = [END_OF_TEXT, '<|end_of_text|>', '</s>']

interface BpeSpec {
  /** Byte-level spelling → id, for the model's tokens (specials excluded). */
  vocab: Map<string, number>
  /** Merges in rank order, as pairs of spellings. */
  merges: Array<[string, string]>
  specials: Array<{ id: number; content: string }>
  /** How the family pre-tokenizes and normalizes, and its file's sections to write back. */
  shape: FamilyShape
}

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const
  readonly fileName = 'tokenizer.json' as const
  readonly vocabSize: number
  readonly endOfText: number
  readonly beginOfText: number | null
  private readonly spec: BpeSpec
  /** How ids are made and read back: byte-level, or SentencePiece-style (see sentencepiece.ts). */
  private readonly codec: ByteLevelCodec | SentencePieceCodec
  private readonly pairs: PairRanks
  /** The encoder behind encode() and encodeInto(), made on first use. */
  private encoder: IdEncoder | undefined
  private file: string | undefined

  private constructor(spec: BpeSpec, source: string) {
    const invalid = (why: string): UserError =>
      new UserError('invalid-input', `${source} is not a usable BPE tokenizer: ${why}.`)
    this.spec = spec
    let maxId = -1
    for (const id of spec.vocab.values()) maxId = Math.max(maxId, id)
    for (const special of spec.specials) maxId = Math.max(maxId, special.id)
    this.vocabSize = maxId + 1

    const bos = spec.shape.beginOfText
    this.beginOfText =
      bos === null
        ? null
        : (spec.specials.find((special) => special.content === bos)?.id ?? spec.vocab.get(bos) ?? null)
    if (bos !== null && this.beginOfText === null)
      throw invalid(`its post_processor puts ${JSON.stringify(bos)} first, a token it does not have`)

    if (spec.shape.kind === 'sentencepiece') {
      const vocab = new SentencePieceVocab(
        spec.vocab,
        spec.merges,
        spec.specials,
        this.vocabSize,
        {
          prepend: spec.shape.prepend,
          stripsLeadingSpace: spec.shape.stripsLeadingSpace,
          beginOfText: this.beginOfText,
        },
        invalid,
      )
      this.codec = { kind: 'sentencepiece', vocab }
      this.pairs = new PairRanks(vocab.tables.merges)
    } else {
      const built = BpeTokenizer.byteLevel(spec, spec.shape, this.vocabSize, this.beginOfText, invalid)
      this.codec = built.codec
      this.pairs = built.pairs
    }
    const endOfText = END_OF_TEXT_CANDIDATES.map((content) =>
      spec.specials.find((special) => special.content === content),
    ).find((special) => special !== undefined)
    if (endOfText === undefined)
      throw invalid(`it has none of the end-of-text tokens ${END_OF_TEXT_CANDIDATES.join(', ')}`)
    this.endOfText = endOfText.id
  }

  /** The byte-level tables: every token a byte string in GPT-2's alphabet. */
  private static byteLevel(
    spec: BpeSpec,
    shape: ByteLevelShape,
    vocabSize: number,
    beginOfText: number | null,
    invalid: (why: string) => UserError,
  ): { codec: ByteLevelCodec; pairs: PairRanks } {
    const tokenBytes = new Array<Uint8Array | undefined>(vocabSize)
    for (const [spelling, id] of spec.vocab) {
      const bytes = byteLevelToBytes(spelling)
      if (bytes === undefined)
        throw invalid(`token ${JSON.stringify(spelling)} is not in the byte-level alphabet`)
      tokenBytes[id] = bytes
    }
    const byteIds = new Int32Array(256)
    for (let byte = 0; byte < 256; byte++) {
      const id = spec.vocab.get(BYTE_TO_CHAR[byte])
      if (id === undefined) throw invalid(`byte ${byte} has no token`)
      byteIds[byte] = id
    }

    const merges = new Int32Array(2 * spec.merges.length)
    const mergeIds = new Int32Array(spec.merges.length)
    spec.merges.forEach(([left, right], rank) => {
      const a = spec.vocab.get(left)
      const b = spec.vocab.get(right)
      const merged = spec.vocab.get(left + right)
      if (a === undefined || b === undefined || merged === undefined) {
        throw invalid(`merge ${rank} ("${left} ${right}") uses a token missing from the vocabulary`)
      }
      merges[2 * rank] = a
      merges[2 * rank + 1] = b
      mergeIds[rank] = merged
    })
    const tables: BpeTables = {
      vocabSize,
      byteIds,
      merges,
      mergeIds,
      preTokenizer: shape.preTokenizer,
      normalizer: shape.normalizer,
      wholeWords: shape.ignoreMerges ? spec.vocab : null,
      beginOfText: beginOfText ?? -1,
    }
    const utf8 = new TextEncoder()
    for (const special of spec.specials) tokenBytes[special.id] = utf8.encode(special.content)
    return { codec: { kind: 'byte-level', tokenBytes, tables }, pairs: new PairRanks(merges) }
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
    return new BpeTokenizer(
      { vocab, merges, specials: added, shape: GPT2_SHAPE },
      'the trained tokenizer',
    )
  }

  /**
   * Reads a Hugging Face `tokenizer.json` (byte-level BPE, or SentencePiece-style BPE with byte
   * fallback); `source` names it in errors.
   */
  static parse(json: string, source: string): BpeTokenizer {
    const invalid = (why: string): UserError =>
      new UserError('invalid-input', `${source} is not a usable BPE tokenizer.json: ${why}.`)
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
    const shape = readFamilyShape(file, invalid)
    const vocab = new Map<string, number>()
    const spellingOf = new Map<number, string>()
    for (const [spelling, id] of Object.entries(model.vocab)) {
      if (!Number.isInteger(id) || id < 0)
        throw invalid(`token ${JSON.stringify(spelling)} has no valid id`)
      // Ids index arrays of vocabSize entries: bounded like a model's vocabulary, and one token each.
      if (id >= MAX_VOCAB_SIZE)
        throw invalid(`model.vocab: token ${JSON.stringify(spelling)} has id ${id}, above the largest vocabulary CLLM builds (${MAX_VOCAB_SIZE})`)
      const other = spellingOf.get(id)
      if (other !== undefined)
        throw invalid(`model.vocab: tokens ${JSON.stringify(other)} and ${JSON.stringify(spelling)} share id ${id}`)
      spellingOf.set(id, spelling)
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
    for (const special of specials) {
      if (!Number.isInteger(special.id) || special.id < 0 || special.id >= MAX_VOCAB_SIZE)
        throw invalid(`added_tokens: ${JSON.stringify(special.content)} has id ${JSON.stringify(special.id)}, not a token id`)
      const other = spellingOf.get(special.id)
      if (other !== undefined && other !== special.content)
        throw invalid(`added_tokens: ${JSON.stringify(special.content)} has id ${special.id}, which model.vocab gives to ${JSON.stringify(other)}`)
    }
    return new BpeTokenizer({ vocab, merges, specials, shape }, source)
  }

  /**
   * `byte-level` (GPT-2, SmolLM, Qwen2, Llama 3, and every tokenizer trained here) or
   * `sentencepiece` (Llama 2, TinyLlama): which GGUF vocabulary it is exported as, for one.
   */
  get family(): FamilyShape['kind'] {
    return this.spec.shape.kind
  }

  /** The special tokens (`<|endoftext|>`, an imported model's `<|im_start|>` …) and their ids. */
  get specialTokens(): ReadonlyArray<{ id: number; content: string }> {
    return this.spec.specials
  }

  encode(text: string, part?: TextPart): number[] {
    const out = new TokenBuffer(Math.ceil(text.length / 3))
    this.encodeInto(text, out, part)
    return out.toArray()
  }

  encodeInto(text: string, out: TokenBuffer, part?: TextPart): void {
    this.encoder ??= this.createEncoder()
    this.encoder.encodeInto(text, out, part)
  }

  createEncoder(): IdEncoder {
    return this.codec.kind === 'sentencepiece'
      ? new SentencePieceEncoder(this.codec.vocab.tables, this.pairs)
      : new BpeEncoder(this.codec.tables, this.pairs)
  }

  encoderSpec(): EncoderSpec {
    return this.codec.kind === 'sentencepiece'
      ? { kind: 'sentencepiece', tables: this.codec.vocab.tables }
      : { kind: 'bpe', tables: this.codec.tables }
  }

  decode(ids: ArrayLike<number>): string {
    if (this.codec.kind === 'sentencepiece') return this.codec.vocab.decode(ids)
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
    if (this.codec.kind === 'sentencepiece') return this.codec.vocab.pieces(ids)
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
    const { vocab, merges, specials, shape } = this.spec
    const entries = [...vocab].sort((x, y) => x[1] - y[1])
    const vocabJson = entries
      .map(([spelling, id]) => `      ${JSON.stringify(spelling)}: ${id}`)
      .join(',\n')
    const asPairs = shape.kind === 'sentencepiece' && shape.mergesAsPairs
    const mergesJson = merges
      .map(([a, b]) => `      ${JSON.stringify(asPairs ? [a, b] : `${a} ${b}`)}`)
      .join(',\n')
    // A SentencePiece file keeps its model options as they came (unk, byte fallback, fuse_unk).
    const modelFields =
      shape.kind === 'sentencepiece'
        ? Object.entries(shape.modelFields).map(
            ([key, value]) => `    ${JSON.stringify(key)}: ${JSON.stringify(value ?? null)},`,
          )
        : [
            '    "type": "BPE",',
            '    "dropout": null,',
            '    "unk_token": null,',
            '    "continuing_subword_prefix": "",',
            '    "end_of_word_suffix": "",',
            '    "fuse_unk": false,',
            '    "byte_fallback": false,',
            `    "ignore_merges": ${shape.ignoreMerges},`,
          ]
    const added =
      shape.sections?.addedTokens.map((token) => JSON.stringify(token)) ??
      specials.map((special) =>
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
    // A family's file keeps its own pipeline (pre-tokenizer, normalizer, BOS rules, decoder).
    const section = (value: unknown, gpt2: string): string =>
      shape.sections ? JSON.stringify(value ?? null) : gpt2
    const sections = shape.sections
    return [
      '{',
      '  "version": "1.0",',
      '  "truncation": null,',
      '  "padding": null,',
      `  "added_tokens": [${added.map((token) => `\n    ${token}`).join(',')}\n  ],`,
      `  "normalizer": ${section(sections?.normalizer, 'null')},`,
      `  "pre_tokenizer": ${section(sections?.preTokenizer, byteLevel)},`,
      `  "post_processor": ${section(sections?.postProcessor, 'null')},`,
      `  "decoder": ${section(sections?.decoder, byteLevel)},`,
      '  "model": {',
      ...modelFields,
      `    "vocab": {\n${vocabJson}\n    },`,
      `    "merges": [\n${mergesJson}\n    ]`,
      '  }',
      '}',
      '',
    ].join('\n')
  }

  private bytesOf(id: number): Uint8Array {
    const bytes = this.codec.kind === 'byte-level' ? this.codec.tokenBytes[id] : undefined
    if (bytes === undefined)
      throw new UserError(
        'invalid-input',
        `Token id ${id} is not in this vocabulary (0–${this.vocabSize - 1}).`,
      )
    return bytes
  }
}

interface ByteLevelCodec {
  kind: 'byte-level'
  /** id → its bytes (a special token: the UTF-8 of its text); undefined for an unused id. */
  tokenBytes: Array<Uint8Array | undefined>
  /** What encoding needs, as typed arrays (see bpe-encoder.ts). */
  tables: BpeTables
}

interface SentencePieceCodec {
  kind: 'sentencepiece'
  vocab: SentencePieceVocab
}

export interface HfTokenizerFile {
  model?: {
    type?: string
    vocab?: Record<string, number>
    merges?: Array<string | [string, string]>
    byte_fallback?: boolean
    ignore_merges?: boolean
    dropout?: number | null
    continuing_subword_prefix?: string | null
    end_of_word_suffix?: string | null
  }
  pre_tokenizer?: unknown
  normalizer?: unknown
  post_processor?: unknown
  decoder?: unknown
  added_tokens?: Array<{ id: number; content: string }>
}
