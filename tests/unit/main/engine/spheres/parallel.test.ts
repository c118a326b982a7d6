import { beforeAll, describe, expect, it } from 'vitest'
import { ensureKernelsBuilt, weightDistance, sharedTokens, startsFor, sameState, tinyModel, trainer } from './helpers'

const tokens = sharedTokens(4000, tinyModel.vocabSize, 9)
const T = tinyModel.seqLen

beforeAll(() => ensureKernelsBuilt())

async function run(threads: number, batchSize: number, steps: number, seed = 42) {
  const t = await trainer({ threads, batchSize, seed })
  try {
    const losses: number[] = []
    const stats = []
    for (let k = 0; k < steps; k++) {
      const result = await t.step(tokens, startsFor(k, batchSize, tokens.length, T), 3e-3)
      losses.push(result.loss)
      stats.push(result.spheres)
    }
    return { losses, stats, state: t.getState() }
  } finally {
    await t.close()
  }
}

describe('sphere pool: data parallel and deterministic', () => {
  it('gives bit-identical weights and moments for the same seed and thread count', async () => {
    const a = await run(2, 4, 8)
    const b = await run(2, 4, 8)
    expect(a.losses).toEqual(b.losses)
    expect(sameState(a.state, b.state)).toBe(true)
    // A different seed is a different model: the comparison above can fail.
    const c = await run(1, 4, 1, 43)
    expect(c.losses[0]).not.toEqual(a.losses[0])
  })

  it('follows the same loss curve on 1, 2 and 3 threads within 1e-4 relative over 50 steps', async () => {
    const one = await run(1, 6, 50)
    for (const threads of [2, 3]) {
      const many = await run(threads, 6, 50)
      for (let k = 0; k < 50; k++) {
        expect(Math.abs(many.losses[k] - one.losses[k]) / one.losses[k], `${threads} threads, step ${k}`).toBeLessThan(1e-4)
      }
      expect(weightDistance(many.state, one.state)).toBeLessThan(1e-3)
    }
    // It learned something, so the agreement is not that of a model standing still.
    expect(one.losses[49]).toBeLessThan(one.losses[0] - 0.2)
  })

  it('weights uneven shards by their tokens: batch 5 on 2 and 3 threads equals 1 thread', async () => {
    const one = await run(1, 5, 6)
    for (const [threads, rows] of [[2, [3, 2]], [3, [2, 2, 1]]] as const) {
      const many = await run(threads, 5, 6)
      for (let k = 0; k < 6; k++) expect(Math.abs(many.losses[k] - one.losses[k]) / one.losses[k]).toBeLessThan(1e-5)
      expect(weightDistance(many.state, one.state)).toBeLessThan(1e-4)
      expect(many.stats[0].map((s) => s.tokens)).toEqual(rows.map((r) => r * T))
      // The step's loss is the token-weighted mean of the shard losses.
      const mean = many.stats[0].reduce((sum, s) => sum + s.loss * s.tokens, 0) / (5 * T)
      expect(mean).toBeCloseTo(many.losses[0], 5)
    }
  })

  it('leaves spheres without rows idle when threads outnumber the batch, and still trains the same', async () => {
    const one = await run(1, 2, 4)
    const wide = await run(3, 2, 4)
    for (let k = 0; k < 4; k++) expect(Math.abs(wide.losses[k] - one.losses[k]) / one.losses[k]).toBeLessThan(1e-5)
    expect(weightDistance(wide.state, one.state)).toBeLessThan(1e-4)
    const idle = wide.stats[0][2]
    expect(idle.tokens).toBe(0)
    expect(idle.batches).toBe(0)
    expect(idle.loss).toBeNaN()
    expect(wide.stats[0][0].tokens).toBe(T)
  })

  it('synchronises beyond the first ring: 14 spheres (two rings of the tree) train as 1 does', async () => {
    const one = await run(1, 14, 3)
    const tree = await run(14, 14, 3)
    for (let k = 0; k < 3; k++) expect(Math.abs(tree.losses[k] - one.losses[k]) / one.losses[k]).toBeLessThan(1e-5)
    expect(weightDistance(tree.state, one.state)).toBeLessThan(1e-5)
    expect(tree.stats[2].map((s) => s.parent)).toEqual([...Array(12).fill(-1), 0, 0])
    expect(tree.stats[2].every((s) => s.tokens === T)).toBe(true)
  })

  it('resumes exactly from getState/setState, also onto another thread count', async () => {
    const whole = await run(2, 4, 6)
    const first = await trainer({ threads: 2, batchSize: 4 })
    for (let k = 0; k < 3; k++) await first.step(tokens, startsFor(k, 4, tokens.length, T), 3e-3)
    const snapshot = first.getState()
    await first.close()
    expect(snapshot.step).toBe(3)

    const resumed = await trainer({ threads: 2, batchSize: 4, seed: 7 })
    resumed.setState(snapshot)
    for (let k = 3; k < 6; k++) await resumed.step(tokens, startsFor(k, 4, tokens.length, T), 3e-3)
    const end = resumed.getState()
    await resumed.close()
    expect(end.step).toBe(6)
    expect(sameState(end, whole.state)).toBe(true)

    const other = await trainer({ threads: 1, batchSize: 4, seed: 7 })
    other.setState(snapshot)
    for (let k = 3; k < 6; k++) await other.step(tokens, startsFor(k, 4, tokens.length, T), 3e-3)
    const across = other.getState()
    await other.close()
    expect(weightDistance(across, whole.state)).toBeLessThan(1e-4)
  })
})
