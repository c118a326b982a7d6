import { Rng } from '../../../src/main/engine/rng'

/** A seeded uniform generator in [0, 1) for test data, so a failure reproduces: the engine's own PRNG. */
export function seededUniform(seed: number): () => number {
  const rng = Rng.seeded(seed)
  return () => rng.nextFloat()
}
