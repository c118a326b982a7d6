import { describe, expect, it } from 'vitest'
import { layOutWindows, lossMask } from '../../../../../src/main/engine/chat/windows'
import { Sampler, validationStarts } from '../../../../../src/main/engine/dataset/sampler'

const conversation = (ids: number[], answer: number[]) => ({ ids, answer: Uint8Array.from(answer) })

describe('layOutWindows', () => {
  it('puts one conversation per window, padded or cut, with the loss on answer targets', () => {
    const laid = layOutWindows(
      [conversation([1, 2, 3, 4], [0, 0, 1, 1]), conversation([5, 6, 7, 8, 9, 10, 11], [0, 1, 1, 0, 0, 1, 1])],
      { seqLen: 5, vocabSize: 20, padId: 0, lossOn: 'answers' },
    )
    expect(Array.from(laid.tokens)).toEqual([1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 9, 10])
    expect(laid.windows).toEqual([
      { length: 4, spans: [[2, 4]] },
      { length: 6, spans: [[1, 3], [5, 6]] },
    ])
    expect(laid.counts).toEqual({
      promptTokens: 2 + 3, answerTokens: 2 + 3, padTokens: 2, truncated: 1,
      lossShare: 5 / 10, lossOn: 'answers', windowTokens: 6,
    })
    expect(Array.from(lossMask(laid.windows, 6))).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1])
  })

  it('with lossOn all, every real target carries loss but never padding or a window’s first token', () => {
    const laid = layOutWindows([conversation([1, 2, 3], [0, 0, 1])], { seqLen: 4, vocabSize: 20, padId: 0, lossOn: 'all' })
    expect(Array.from(lossMask(laid.windows, 5))).toEqual([0, 1, 1, 0, 0])
  })
})

describe('Sampler with conversation windows', () => {
  it('draws only window-aligned starts, each window once per epoch, and restores its state', () => {
    const sampler = new Sampler({ range: { start: 0, end: 60 }, seqLen: 5, batchSize: 4, seed: 3, stride: 6 })
    expect(sampler.windowsPerEpoch).toBe(10)
    const starts = [...sampler.nextStarts(), ...sampler.nextStarts(), ...sampler.nextStarts()].slice(0, 10)
    expect([...starts].sort((a, b) => a - b)).toEqual([0, 6, 12, 18, 24, 30, 36, 42, 48, 54])
    const restored = Sampler.restore(sampler.state())
    expect(restored.nextStarts()).toEqual(sampler.nextStarts())
    expect(validationStarts({ start: 60, end: 90 }, 5, 64, 6)).toEqual([60, 66, 72, 78, 84])
  })
})
