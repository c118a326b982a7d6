import { describe, expect, it } from 'vitest'
import { learningRate, MIN_LR_RATIO } from '../../../../../src/main/engine/session/schedule'

describe('learning-rate schedule', () => {
  const schedule = { peak: 1e-3, warmup: 10, totalSteps: 110 }

  it('warms up linearly to the peak', () => {
    expect(learningRate(schedule, 0)).toBeCloseTo(1e-4, 12)
    expect(learningRate(schedule, 4)).toBeCloseTo(5e-4, 12)
    expect(learningRate(schedule, 9)).toBeCloseTo(1e-3, 12)
  })

  it('decays along a cosine to a tenth of the peak at the last step', () => {
    expect(learningRate(schedule, 10)).toBeCloseTo(1e-3, 12)
    const middle = learningRate(schedule, 10 + 99 / 2)
    expect(middle).toBeCloseTo((1e-3 * (1 + MIN_LR_RATIO)) / 2, 12)
    expect(learningRate(schedule, 109)).toBeCloseTo(1e-4, 12)
    expect(learningRate(schedule, 500)).toBeCloseTo(1e-4, 12)
    for (let step = 11; step < 110; step++) {
      expect(learningRate(schedule, step)).toBeLessThan(learningRate(schedule, step - 1))
    }
  })

  it('works without warmup and for a one-step run', () => {
    expect(learningRate({ peak: 2, warmup: 0, totalSteps: 1 }, 0)).toBe(2)
    expect(learningRate({ peak: 2, warmup: 0, totalSteps: 100 }, 0)).toBe(2)
  })
})
