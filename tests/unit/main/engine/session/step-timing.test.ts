import { describe, expect, it } from 'vitest'
import { resolveRunConfig } from '../../../../../src/shared/training'
import { measureStepTime, timingKey } from '../../../../../src/main/engine/session/step-timing'

const machine = { cores: 2, totalMemoryBytes: 8 * 1024 ** 3 }
const tiny = (extra: Record<string, number> = {}) =>
  resolveRunConfig({ model: { vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 16 }, training: { batchSize: 2, threads: 1, ...extra } }, machine)

describe('measured step time', () => {
  it('times real steps of the sphere pool, once per model, batch and spheres', async () => {
    const first = measureStepTime(tiny())
    const timing = await first
    expect(timing.measuredSteps).toBe(3)
    expect(timing.msPerStep).toBeGreaterThan(0)
    expect(Number.isFinite(timing.msPerStep)).toBe(true)
    // The learning rate or epochs do not change a step's cost: the cached answer.
    expect(measureStepTime(tiny({ learningRate: 0.01, epochs: 3 }))).toBe(first)
    expect(timingKey(tiny({ batchSize: 4 }))).not.toBe(timingKey(tiny()))
  }, 60_000)
})
