import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTrainer } from '../../../../../src/main/engine/spheres/pool'
import type { Trainer } from '../../../../../src/main/engine/model/trainer'
import { crossEntropy, scoreTokens } from '../../../../../src/main/engine/session/scoring'

const T = 8
const V = 40
let trainer: Trainer

beforeAll(async () => {
  trainer = await createTrainer({
    model: { vocabSize: V, seqLen: T, dModel: 16, nLayers: 1, nHeads: 2 },
    adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClip: 0 },
    batchSize: 4,
    threads: 2,
    seed: 7,
  })
})
afterAll(async () => {
  await trainer.close()
})

/** The rule, spelled out token by token: token i is predicted from its window's tokens before it. */
async function expected(ids: number[]): Promise<{ sum: number; count: number }> {
  let sum = 0
  let count = 0
  for (let i = 1; i < ids.length; i++) {
    const windowStart = Math.floor((i - 1) / T) * T
    sum += crossEntropy(await trainer.logits(ids.slice(windowStart, i)), ids[i])
    count++
  }
  return { sum, count }
}

describe('scoring a text', () => {
  it('scores every token but the first exactly once, in windows of seq_len', async () => {
    for (const length of [2, T, T + 1, 2 * T + 1, 3 * T + 5]) {
      const ids = Array.from({ length }, (_, i) => (i * 7 + 3) % V)
      const score = await scoreTokens(trainer, ids, 3)
      const reference = await expected(ids)
      expect(score.tokens).toBe(length - 1)
      expect(score.tokens).toBe(reference.count)
      expect(score.sumLoss / score.tokens).toBeCloseTo(reference.sum / reference.count, 4)
    }
  })

  it('scores nothing in a one-token text', async () => {
    expect(await scoreTokens(trainer, [5])).toEqual({ sumLoss: 0, tokens: 0 })
  })

  it('computes cross-entropy stably', () => {
    expect(crossEntropy([1000, 0], 0)).toBeCloseTo(0, 10)
    expect(crossEntropy([0, 0, 0, 0], 2)).toBeCloseTo(Math.log(4), 12)
  })
})
