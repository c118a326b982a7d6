/** Waiting on a store that follows engine events, in tests. */
import { join, resolve } from 'node:path'

export const sampleCorpus = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'resources',
  'sample-corpus',
)

/** Resolves once `condition` holds; fails after `timeoutMs` with what was awaited. */
export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolveWait) => setTimeout(resolveWait, 10))
  }
}

/** The Tiny run used by the store tests: short, two spheres, checkpoints along the way. */
export function tinyRun(maxSteps: number, extra: Record<string, number> = {}) {
  return {
    training: { maxSteps, threads: 2, evalInterval: 10, checkpointInterval: 10, ...extra },
  }
}

export const metricsFile = (runDir: string) => join(runDir, 'metrics.jsonl')
