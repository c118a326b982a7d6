/** Cooperative yielding for long synchronous loops, so progress events and cancellation get through. */
import { UserError } from '../../../shared/errors'

/** Long enough that yielding costs nothing measurable, short enough that the engine's process answers within a frame or two. */
export const YIELD_INTERVAL_MS = 15

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new UserError('cancelled', 'Tokenization was cancelled.')
}

/** Returns a function to call often: it yields to the event loop at most every YIELD_INTERVAL_MS. */
export function createYielder(signal: AbortSignal | undefined): () => Promise<void> | undefined {
  let last = performance.now()
  return () => {
    const now = performance.now()
    if (now - last < YIELD_INTERVAL_MS) return undefined
    last = now
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
      throwIfCancelled(signal),
    )
  }
}
