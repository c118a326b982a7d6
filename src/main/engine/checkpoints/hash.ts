/**
 * SHA-256 of a checkpoint's tensor bytes without holding the event loop: the bytes are hashed in
 * slices of a few megabytes and the loop gets a turn between slices. Hashing the 1.5 GB of a GPT-2
 * 124M checkpoint in one call would block the process that owns the engine (the UI's main process)
 * for seconds; a slice costs a few milliseconds.
 */
import { createHash } from 'node:crypto'
import { setImmediate as yieldToLoop } from 'node:timers/promises'

/** Bytes hashed between two turns of the event loop (~2–8 ms at this machine's SHA-256 speed). */
export const HASH_SLICE_BYTES = 4 * 1024 * 1024

/** Hex SHA-256 of the chunks in order, as createHash would give over their concatenation. */
export async function sha256Yielding(chunks: Iterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256')
  let sinceYield = 0
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.byteLength; ) {
      const end = Math.min(chunk.byteLength, at + HASH_SLICE_BYTES - sinceYield)
      hash.update(chunk.subarray(at, end))
      sinceYield += end - at
      at = end
      if (sinceYield >= HASH_SLICE_BYTES) {
        sinceYield = 0
        await yieldToLoop()
      }
    }
  }
  return hash.digest('hex')
}
