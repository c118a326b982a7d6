/**
 * Quitting during a run stops it with a checkpoint, but never waits forever: a run that does not
 * stop in time must not leave a windowless process holding the single-instance lock.
 */

/** How long quitting waits for a run to stop and write its checkpoint. */
export const QUIT_GRACE_MS = 5_000

/** Resolves true when `work` settles within `ms`, false when the time runs out first (never rejects). */
export function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    work.then(
      () => {
        clearTimeout(timer)
        resolve(true)
      },
      (error: unknown) => {
        clearTimeout(timer)
        console.error(`Stopping the run before quitting failed: ${error instanceof Error ? error.message : String(error)}`)
        resolve(true)
      },
    )
  })
}
