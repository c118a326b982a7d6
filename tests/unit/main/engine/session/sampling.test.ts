import { describe, expect, it } from 'vitest'
import {
  argmax,
  sampleToken,
  samplingDistribution,
} from '../../../../../src/main/engine/session/sampling'
import { seededUniform as uniform } from '../../../support/random'

const logits = Float32Array.from([1, 3, 2, 0.5, 3])

describe('sampling', () => {
  it('is greedy at temperature 0 (first index on ties)', () => {
    expect(argmax(logits)).toBe(1)
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, () => 0.99)).toBe(1)
  })

  it('restricts to the top k and the nucleus', () => {
    expect(samplingDistribution(logits, { temperature: 1, topK: 2, topP: 1 }).tokens).toEqual([
      1, 4,
    ])
    const nucleus = samplingDistribution(logits, { temperature: 1, topK: 0, topP: 0.5 })
    expect(nucleus.tokens).toEqual([1, 4])
    const all = samplingDistribution(logits, { temperature: 1, topK: 0, topP: 1 })
    expect(all.tokens).toEqual([1, 4, 2, 0, 3])
    expect(all.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
  })

  it('draws in proportion to the softmax at the temperature', () => {
    const random = uniform(7)
    const counts = new Array(logits.length).fill(0)
    const draws = 20_000
    for (let i = 0; i < draws; i++)
      counts[sampleToken(logits, { temperature: 2, topK: 0, topP: 1 }, random)]++
    const weights = Array.from(logits, (x) => Math.exp(x / 2))
    const total = weights.reduce((a, b) => a + b, 0)
    for (let i = 0; i < logits.length; i++)
      expect(counts[i] / draws).toBeCloseTo(weights[i] / total, 1)
  })

  it('repeats itself for the same seed', () => {
    const draw = (seed: number) => {
      const random = uniform(seed)
      return Array.from({ length: 50 }, () =>
        sampleToken(logits, { temperature: 1, topK: 0, topP: 0.9 }, random),
      )
    }
    expect(draw(3)).toEqual(draw(3))
    expect(draw(3)).not.toEqual(draw(4))
  })
})
