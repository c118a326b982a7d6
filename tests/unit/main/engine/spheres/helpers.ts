import { Rng } from '../../../../../src/main/engine/rng'
import type { AdamWConfig, ModelConfig, TrainerState } from '../../../../../src/main/engine/model/trainer'
import { createTrainer, type CreateTrainerOptions } from '../../../../../src/main/engine/spheres/pool'

export { ensureKernelsBuilt } from '../model/harness'

export const tinyModel: ModelConfig = { vocabSize: 64, seqLen: 16, dModel: 32, nLayers: 2, nHeads: 4 }
export const adamw: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, gradClip: 1 }

export function trainer(options: Partial<CreateTrainerOptions> & { threads: number; batchSize: number }) {
  return createTrainer({ model: tinyModel, adamw, seed: 42, ...options })
}

/**
 * A token stream on a SharedArrayBuffer, as the dataset module provides it. Learnable: mostly a fixed
 * successor of the previous token, sometimes a random one.
 */
export function sharedTokens(count: number, vocab: number, seed: number): Uint16Array {
  const rng = Rng.seeded(seed)
  const tokens = new Uint16Array(new SharedArrayBuffer(count * 2))
  for (let i = 1; i < count; i++) {
    tokens[i] = rng.nextFloat() < 0.8 ? (tokens[i - 1] * 7 + 3) % vocab : Math.floor(rng.nextFloat() * vocab)
  }
  return tokens
}

/** Window starts for step k: a fixed pseudo-random schedule, the same for every run. */
export function startsFor(step: number, rows: number, tokens: number, seqLen: number): number[] {
  const rng = Rng.seeded(1000 + step)
  return Array.from({ length: rows }, () => Math.floor(rng.nextFloat() * (tokens - seqLen - 1)))
}

/** Whether two states hold the same step and bit-identical weights and moments. */
export function sameState(a: TrainerState, b: TrainerState): boolean {
  const tensors = (s: TrainerState) => [...s.params, ...s.adamM, ...s.adamV]
  const x = tensors(a)
  const y = tensors(b)
  return (
    a.step === b.step &&
    x.length === y.length &&
    x.every((t, i) => t.name === y[i].name && Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(
      Buffer.from(y[i].data.buffer, y[i].data.byteOffset, y[i].data.byteLength),
    ))
  )
}

/** ‖a − b‖ / ‖b‖ over all weights (L2, float64). */
export function weightDistance(a: TrainerState, b: TrainerState): number {
  let diff = 0
  let norm = 0
  for (let i = 0; i < a.params.length; i++) {
    const x = a.params[i].data
    const y = b.params[i].data
    for (let j = 0; j < x.length; j++) {
      diff += (x[j] - y[j]) ** 2
      norm += y[j] ** 2
    }
  }
  return Math.sqrt(diff / norm)
}
