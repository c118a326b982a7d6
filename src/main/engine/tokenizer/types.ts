import type { TokenizerKind } from '../../../shared/tokenizer'
import type { BpeTables } from './bpe-encoder'
import type { SentencePieceTables } from './sentencepiece-encoder'
import type { TokenBuffer } from './token-buffer'

/**
 * Where a text stands, for the families whose encoding depends on it (SentencePiece puts ▁ before a
 * text; Llama's files put BOS before every sequence):
 * - `text` (the default): a text of its own, as Hugging Face's `encode(text, add_special_tokens=False)`.
 * - `document`: a document's start in a training stream: as `text`, after the family's BOS.
 * - `continuation`: the rest of a document cut at a safe place (chunks.ts): no BOS, no ▁ in front.
 * - `after-special`: the text after a special token in the same sequence (chat): a Prepend
 *   normalizer or Metaspace `always` still puts ▁ in front, Metaspace `first` does not.
 * Byte-level families without BOS encode every part alike.
 */
export type TextPart = 'text' | 'document' | 'continuation' | 'after-special'

/** Turns text into ids. */
export interface IdEncoder {
  /** Appends the ids of `text` to `out`. */
  encodeInto(text: string, out: TokenBuffer, part?: TextPart): void
}

/**
 * What a worker thread needs to build a tokenizer's encoder: compact and structured-cloneable
 * (typed arrays for BPE), so a worker neither receives nor parses the tokenizer's file.
 */
export type EncoderSpec =
  | { kind: 'bpe'; tables: BpeTables }
  | { kind: 'sentencepiece'; tables: SentencePieceTables }
  | { kind: 'word'; words: string[] }

/** What the dataset, the trainer and the CLI need from a tokenizer, whichever kind it is. */
export interface Tokenizer {
  readonly kind: TokenizerKind
  /** Number of ids (specials included): the model's embedding rows. */
  readonly vocabSize: number
  /** The id placed between documents in the token stream. */
  readonly endOfText: number
  /**
   * The id the family puts before every sequence it encodes (its post_processor's BOS: Llama 2's
   * `<s>`, Llama 3's `<|begin_of_text|>`), which starts each document of a training stream and
   * each prompt; null when it puts none (GPT-2, and tokenizers trained here).
   */
  readonly beginOfText: number | null
  /** The file it is saved as: `tokenizer.json` (bpe) or `vocab.txt` (word). */
  readonly fileName: TokenizerFileName
  /** The ids of `text`, no BOS (Hugging Face's `encode(text, add_special_tokens=False)`). */
  encode(text: string, part?: TextPart): number[]
  /** Appends the ids of `text` to `out` (the allocation-free path the dataset uses). */
  encodeInto(text: string, out: TokenBuffer, part?: TextPart): void
  /**
   * An encoder of its own (for BPE: with its own word cache, dropped with it), giving the same ids
   * as `encodeInto`; the dataset makes one per batch of documents.
   */
  createEncoder(): IdEncoder
  /** The compact form a worker thread builds the same encoder from (see encoderFromSpec). */
  encoderSpec(): EncoderSpec
  decode(ids: ArrayLike<number>): string
  /** The text each id completes; the pieces concatenate to `decode(ids)`. */
  pieces(ids: ArrayLike<number>): string[]
  /** The content of its file. */
  serialize(): string
}

export type TokenizerFileName = 'tokenizer.json' | 'vocab.txt'

/** The largest vocabulary CLLM builds (and so the bound on any token id a file may hold). */
export const MAX_VOCAB_SIZE = 1 << 20
