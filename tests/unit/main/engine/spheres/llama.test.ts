/**
 * The sphere pool with a Llama model: deterministic for a seed and thread count, the same loss curve on
 * every sphere count (uneven shards, idle spheres and the second ring of the tree included), resumable
 * from its state, and its causal logits (the key/value cache with rotary positions) agreeing with
 * evaluate.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { ModelConfig } from '../../../../../src/main/engine/model/trainer'
import { ensureKernelsBuilt, sameState, sharedTokens, startsFor, trainer, weightDistance } from './helpers'

const model: ModelConfig = { architecture: 'llama', vocabSize: 64, seqLen: 16, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2 }
const tokens = sharedTokens(4000, model.vocabSize, 9)
const T = model.seqLen

beforeAll(() => ensureKernelsBuilt())

async function run(threads: number, batchSize: number, steps: number, seed = 42) {
  const t = await trainer({ model, threads, batchSize, seed })
  try {
    const losses: number[] = []
    for (let k = 0; k < steps; k++) losses.push((await t.step(tokens, startsFor(k, batchSize, tokens.length, T), 3e-3)).loss)
    return { losses, state: t.getState() }
  } finally {
    await t.close()
  }
}

describe('sphere pool with Llama', () => {
  it('gives bit-identical weights and moments for the same seed and thread count, and learns', async () => {
    const a = await run(2, 4, 30)
    const b = await run(2, 4, 30)
    expect(a.losses).toEqual(b.losses)
    expect(sameState(a.state, b.state)).toBe(true)
    expect(a.state.params.map((p) => p.name)).toContain('model.layers.1.self_attn.k_proj.weight')
    expect(a.losses[29]).toBeLessThan(a.losses[0] - 0.2)
  })

  it('follows the same loss curve on 1, 2, 3 and 14 threads (uneven shards, idle spheres, two rings)', async () => {
    const one = await run(1, 5, 8)
    for (const threads of [2, 3, 14]) {
      const many = await run(threads, 5, 8)
      for (let k = 0; k < 8; k++) {
        expect(Math.abs(many.losses[k] - one.losses[k]) / one.losses[k], `${threads} threads, step ${k}`).toBeLessThan(1e-5)
      }
      expect(weightDistance(many.state, one.state)).toBeLessThan(1e-4)
    }
  })

  it('resumes exactly from getState/setState', async () => {
    const whole = await run(2, 4, 6)
    const first = await trainer({ model, threads: 2, batchSize: 4 })
    for (let k = 0; k < 3; k++) await first.step(tokens, startsFor(k, 4, tokens.length, T), 3e-3)
    const snapshot = first.getState()
    await first.close()
    const resumed = await trainer({ model, threads: 2, batchSize: 4, seed: 7 })
    resumed.setState(snapshot)
    for (let k = 3; k < 6; k++) await resumed.step(tokens, startsFor(k, 4, tokens.length, T), 3e-3)
    const end = resumed.getState()
    await resumed.close()
    expect(sameState(end, whole.state)).toBe(true)
  })

  it('gives causal next-token logits, one cached position at a time, whose cross-entropy matches evaluate', async () => {
    const t = await trainer({ model, threads: 2, batchSize: 2 })
    try {
      for (let k = 0; k < 5; k++) await t.step(tokens, startsFor(k, 2, tokens.length, T), 3e-3)
      const start = 123
      const window = Array.from(tokens.subarray(start, start + T + 1))
      let sum = 0
      for (let n = 1; n <= T; n++) {
        const logits = await t.logits(window.slice(0, n))
        const max = Math.max(...logits)
        const logZ = max + Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0))
        sum += logZ - logits[window[n]]
      }
      const evaluated = await t.evaluate(tokens, [start])
      expect(Math.abs(sum / T - evaluated)).toBeLessThan(1e-5 * evaluated)
    } finally {
      await t.close()
    }
  })
})
