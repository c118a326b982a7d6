/** Jobs for the tokenizer worker threads, and what they send back. */

/** Texts as byte ranges (start, end pairs) of UTF-8 in a shared buffer (see packed-texts.ts). */
export interface SharedTexts {
  corpus: SharedArrayBuffer
  ranges: Float64Array
}

export type WorkerJob =
  /** Count GPT-2 pre-tokens (BPE training, first half). */
  | ({ type: 'count' } & SharedTexts)
  /** Learn merges from counted words (BPE training, second half). */
  | { type: 'merge'; words: string[]; counts: Float64Array; tokens: number }
  /** Encode texts with a tokenizer given as its file content (`tokenizer.json` or `vocab.txt`). */
  | ({ type: 'encode'; tokenizer: string } & SharedTexts)

export type WorkerMessage =
  | { type: 'counted'; words: string[]; counts: Float64Array }
  | { type: 'merge-progress'; done: number; total: number }
  /** Token bytes back to back (`ends[i]` is where token i ends) and merges as id pairs. */
  | { type: 'merged'; bytes: Uint8Array; ends: Uint32Array; merges: Int32Array }
  /** The ids of text `index` of the job (Uint16 while the vocabulary fits), and its UTF-8 size. */
  | { type: 'piece'; index: number; ids: Uint16Array | Uint32Array; bytes: number }
  | { type: 'encoded' }
  | { type: 'failed'; message: string }
