import { describe, expect, it } from 'vitest'
import { Sampler, validationStarts } from '../../../../../src/main/engine/dataset/sampler'

describe('Sampler', () => {
  const config = { range: { start: 100, end: 1100 }, seqLen: 16, batchSize: 4, seed: 9 }

  it('draws windows of seqLen + 1 tokens inside the range', () => {
    const sampler = new Sampler(config)
    for (let step = 0; step < 100; step++) {
      for (const start of sampler.nextStarts()) {
        expect(start).toBeGreaterThanOrEqual(100)
        expect(start + 17).toBeLessThanOrEqual(1100)
      }
    }
  })

  it('visits each window of an epoch once, stepsPerEpoch batches covering the training tokens', () => {
    const sampler = new Sampler(config)
    expect(sampler.windowsPerEpoch).toBe(Math.floor(999 / 16))
    expect(sampler.stepsPerEpoch).toBe(Math.ceil(62 / 4))
    const batches = Array.from({ length: sampler.stepsPerEpoch }, () => sampler.nextStarts())
    const starts = batches.flat().slice(0, 62)
    expect(new Set(starts).size).toBe(62)
    const offset = Math.min(...starts) - 100
    const sorted = [...starts].sort((a, b) => a - b)
    sorted.forEach((start, k) => expect(start).toBe(100 + offset + k * 16))
    // The last batch of the epoch ran 2 windows into the next one.
    expect(sampler.epoch).toBe(1)
    expect(sampler.epochProgress).toBeCloseTo(64 / 62)
  })

  it('orders epochs differently and depends on the seed', () => {
    const a = new Sampler(config)
    const first = Array.from({ length: 16 }, () => a.nextStarts()).flat()
    const second = Array.from({ length: 16 }, () => a.nextStarts()).flat()
    expect(second).not.toEqual(first)
    const again = Array.from({ length: 16 }, () => new Sampler(config)).map((s) => s.nextStarts())
    expect(again[0]).toEqual(first.slice(0, 4))
    expect(new Sampler({ ...config, seed: 10 }).nextStarts()).not.toEqual(first.slice(0, 4))
  })

  it('restores from its saved state and continues exactly', () => {
    const tokens = Uint16Array.from({ length: 1200 }, (_, i) => (i * 31) % 1000)
    const uninterrupted = new Sampler(config)
    const interrupted = new Sampler(config)
    for (let step = 0; step < 23; step++) {
      uninterrupted.nextBatch(tokens)
      interrupted.nextBatch(tokens)
    }
    const saved = JSON.parse(JSON.stringify(interrupted.state()))
    const resumed = Sampler.restore(saved)
    for (let step = 0; step < 40; step++)
      expect(resumed.nextBatch(tokens)).toEqual(uninterrupted.nextBatch(tokens))
    expect(resumed.state()).toEqual(uninterrupted.state())
  })

  it('copies batches of rows from the stream', () => {
    const tokens = Uint32Array.from({ length: 1200 }, (_, i) => i)
    const sampler = new Sampler(config)
    const copy = new Sampler(config)
    const batch = sampler.nextBatch(tokens)
    const starts = copy.nextStarts()
    expect(batch).toHaveLength(4 * 17)
    starts.forEach((start, row) =>
      expect([...batch.subarray(row * 17, row * 17 + 17)]).toEqual(
        Array.from({ length: 17 }, (_, i) => start + i),
      ),
    )
  })

  it('refuses a range without a window', () => {
    expect(() => new Sampler({ ...config, range: { start: 0, end: 16 } })).toThrow(
      /holds no window/,
    )
  })

  it('spreads validation windows evenly', () => {
    expect(validationStarts({ start: 1000, end: 1170 }, 16, 100)).toEqual(
      Array.from({ length: 10 }, (_, i) => 1000 + i * 16),
    )
    expect(validationStarts({ start: 0, end: 1601 }, 16, 4)).toEqual([0, 400, 800, 1200])
  })
})
