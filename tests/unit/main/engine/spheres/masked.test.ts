/**
 * The spheres with a loss mask (chat data): the loss is the mean over the targets the mask keeps,
 * equal to one shard's masked loss on the same weights; a batch of prompt tokens only moves no
 * weight; and the result does not depend on the number of spheres.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { createHarness } from '../model/harness'
import { adamw, ensureKernelsBuilt, sharedTokens, tinyModel, trainer } from './helpers'

const T = tinyModel.seqLen
const W = T + 1
const windows = 6
const tokens = sharedTokens(windows * W, tinyModel.vocabSize, 4)
/** Per window: the second half carries loss, except window 5, which is all prompt. */
const mask = new Uint8Array(new SharedArrayBuffer(windows * W))
for (let w = 0; w < 5; w++) mask.fill(1, w * W + 9, w * W + W)
const starts = [0, 1, 2, 3].map((w) => w * W)

beforeAll(() => ensureKernelsBuilt())

describe('sphere pool with a loss mask', () => {
  it('evaluates the mean loss over the kept targets, as one shard does on the same weights', async () => {
    const pool = await trainer({ threads: 2, batchSize: 4 })
    try {
      const masked = await pool.evaluate(tokens, starts, mask)
      const all = await pool.evaluate(tokens, starts)
      const h = await createHarness(tinyModel, 4, 'wasm')
      for (const tensor of pool.getState().params) {
        const at = h.layout.tensors.find((t) => t.name === tensor.name)!
        h.params.set(tensor.data, at.offset)
      }
      const rows = starts.map((s) => Array.from(tokens.subarray(s, s + W)))
      h.setWindows(rows, starts.map((s) => Array.from({ length: T }, (_, j) => mask[s + j + 1] === 1)))
      expect(Math.abs(masked - h.loss())).toBeLessThan(1e-5 * masked)
      h.setWindows(rows)
      expect(Math.abs(all - h.loss())).toBeLessThan(1e-5 * all)
      expect(masked).not.toBeCloseTo(all, 3)
    } finally {
      await pool.close()
    }
  })

  it('moves no weight on a batch without loss, and trains the same on one and two spheres', async () => {
    const still = await trainer({ threads: 2, batchSize: 2, adamw: { ...adamw, weightDecay: 0 } })
    try {
      const before = still.getState()
      const result = await still.step(tokens, [5 * W, 5 * W], 1e-2, mask)
      expect(result.loss).toBeNaN()
      const after = still.getState()
      after.params.forEach((tensor, i) => expect(tensor.data, tensor.name).toEqual(before.params[i].data))
    } finally {
      await still.close()
    }
    const curves: number[][] = []
    for (const threads of [1, 2]) {
      const pool = await trainer({ threads, batchSize: 4 })
      try {
        const losses: number[] = []
        for (let k = 0; k < 10; k++) losses.push((await pool.step(tokens, starts, 3e-3, mask)).loss)
        curves.push(losses)
      } finally {
        await pool.close()
      }
    }
    curves[0].forEach((loss, k) => expect(Math.abs(curves[1][k] - loss)).toBeLessThan(1e-4 * loss))
    expect(curves[0][9]).toBeLessThan(curves[0][0])
  })
})
