import type { TokenizerKind } from '../../../shared/tokenizer'
import type { BpeTables } from './bpe-encoder'
import type { TokenBuffer } from './token-buffer'

/** Turns text into ids. */
export interface IdEncoder {
  /** Appends the ids of `text` to `out`. */
  encodeInto(text: string, out: TokenBuffer): void
}

/**
 * What a worker thread needs to build a tokenizer's encoder: compact and structured-cloneable
 * (typed arrays for BPE), so a worker neither receives nor parses the tokenizer's file.
 */
export type EncoderSpec = { kind: 'bpe'; tables: BpeTables } | { kind: 'word'; words: string[] }

/** What the dataset, the trainer and the CLI need from a tokenizer, whichever kind it is. */
export interface Tokenizer {
  readonly kind: TokenizerKind
  /** Number of ids (specials included): the model's embedding rows. */
  readonly vocabSize: number
  /** The id placed between documents in the token stream. */
  readonly endOfText: number
  /** The file it is saved as: `tokenizer.json` (bpe) or `vocab.txt` (word). */
  readonly fileName: TokenizerFileName
  encode(text: string): number[]
  /** Appends the ids of `text` to `out` (the allocation-free path the dataset uses). */
  encodeInto(text: string, out: TokenBuffer): void
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
