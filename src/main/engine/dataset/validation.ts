/**
 * A run's validation split as tokens, read back from the dataset cached in its folder: what
 * Evaluate scores by default (text the run was never trained on, cut exactly as training cut it).
 */
import type { TokenArray } from './encode'
import { readCachedDataset } from './cache'
import { layoutOf } from './prepare'
import { splitRanges } from './split'

/** Undefined when the folder holds no intact dataset. */
export async function cachedValidationTokens(runDir: string, seqLen: number): Promise<TokenArray | undefined> {
  const cached = await readCachedDataset(runDir, () => true)
  if (!cached) return undefined
  const { validation } = splitRanges(layoutOf(cached.manifest), seqLen)
  return cached.tokens.subarray(validation.start, validation.end)
}
