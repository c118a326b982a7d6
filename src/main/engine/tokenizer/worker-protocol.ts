/** Jobs for the tokenizer worker threads, and what they send back. */
import type { PackedTexts } from './packed-texts'
import type { EncoderSpec } from './types'

export type WorkerJob =
  /**
   * Count GPT-2 pre-tokens (BPE training, first half) of the texts claimed one at a time from the
   * shared counter `claims` (an Int32: the next text to take).
   */
  | { type: 'count'; texts: PackedTexts; claims: SharedArrayBuffer }
  /** Learn merges from counted words (BPE training, second half). */
  | { type: 'merge'; words: string[]; counts: Float64Array; tokens: number }
  /**
   * Encode pieces claimed from the ledger (see piece-ledger.ts) as thread `owner`, writing ids
   * (Uint32 if `wide`, else Uint16) to `ids`, or to a larger buffer if it fills up.
   */
  | {
      type: 'encode'
      encoder: EncoderSpec
      texts: PackedTexts
      /** Per piece, PIECE_DOCUMENT or PIECE_CONTINUATION (see piece-ledger.ts). */
      parts: Uint8Array
      ledger: SharedArrayBuffer
      owner: number
      ids: SharedArrayBuffer
      wide: boolean
    }
  /**
   * The second step of 'encode', once every piece is encoded: copy this worker's pieces into the
   * stream (a Uint32 or Uint16 array over `stream`, as the encode step's ids), piece p at
   * `offsets[p]`. Done in every thread at once, the copy (and the stream's first touch) is shared.
   */
  | { type: 'write'; stream: SharedArrayBuffer; offsets: Float64Array }

export type WorkerMessage =
  | { type: 'counted'; words: string[]; counts: Float64Array }
  | { type: 'merge-progress'; done: number; total: number }
  /** Token bytes back to back (`ends[i]` is where token i ends) and merges as id pairs. */
  | { type: 'merged'; bytes: Uint8Array; ends: Uint32Array; merges: Int32Array }
  /**
   * Encoding done. `grown`: the larger id buffer the worker had to make (the one it was given is
   * then unused). A SharedArrayBuffer comes back as a new object over the same memory, so the
   * given buffer is never sent back: its sender could not tell it was its own.
   */
  | { type: 'encoded'; grown?: SharedArrayBuffer }
  | { type: 'written' }
  | { type: 'failed'; message: string }
