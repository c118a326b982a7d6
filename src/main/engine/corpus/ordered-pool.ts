/**
 * Runs an async function over a list with at most `limit` calls in flight, and returns the results
 * in the order of the list, whatever order the calls finish in.
 */
export async function mapInOrder<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  let failure: { error: unknown } | undefined

  const lane = async (): Promise<void> => {
    // After a failure no new call starts; calls in flight finish so they can close what they opened.
    while (failure === undefined && next < items.length) {
      const index = next++
      try {
        results[index] = await run(items[index], index)
      } catch (error) {
        failure ??= { error }
      }
    }
  }

  const lanes = Math.max(1, Math.min(limit, items.length))
  await Promise.all(Array.from({ length: lanes }, lane))
  if (failure !== undefined) throw failure.error
  return results
}
