import type { TokenizerKind } from '../../../shared/tokenizer'
import type { TokenBuffer } from './token-buffer'

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
  decode(ids: ArrayLike<number>): string
  /** The text each id completes; the pieces concatenate to `decode(ids)`. */
  pieces(ids: ArrayLike<number>): string[]
  /** The content of its file. */
  serialize(): string
}

export type TokenizerFileName = 'tokenizer.json' | 'vocab.txt'
