import { describe, expect, it } from 'vitest'
import { chatPositions, layOutWindows, lossMask } from '../../../../../src/main/engine/chat/windows'
import { Sampler, validationStarts } from '../../../../../src/main/engine/dataset/sampler'

const conversation = (ids: number[], answer: number[]) => ({ ids, answer: Uint8Array.from(answer) })

describe('layOutWindows, padded', () => {
  it('puts one conversation per window, padded or cut, with the loss on answer targets', () => {
    const laid = layOutWindows(
      [[conversation([1, 2, 3, 4], [0, 0, 1, 1]), conversation([5, 6, 7, 8, 9, 10, 11], [0, 1, 1, 0, 0, 1, 1])]],
      { seqLen: 5, vocabSize: 20, padId: 0, lossOn: 'answers', packing: 'padded' },
    )
    expect(Array.from(laid.tokens)).toEqual([1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 9, 10])
    expect(laid.placed).toEqual([[
      { start: 0, length: 4, spans: [[2, 4]] },
      { start: 6, length: 6, spans: [[1, 3], [5, 6]] },
    ]])
    expect(laid.counts).toEqual({
      promptTokens: 2 + 3, answerTokens: 2 + 3, padTokens: 2, truncated: 1,
      lossShare: 5 / 10, lossOn: 'answers', windowTokens: 6, windows: 2, packing: 'padded',
    })
    expect(Array.from(lossMask(laid.placed[0], 6, 12))).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1])
  })

  it('with lossOn all, every real target carries loss but never padding or a conversation’s first token', () => {
    const laid = layOutWindows([[conversation([1, 2, 3], [0, 0, 1])]], { seqLen: 4, vocabSize: 20, padId: 0, lossOn: 'all', packing: 'padded' })
    expect(Array.from(lossMask(laid.placed[0], 5, 5))).toEqual([0, 1, 1, 0, 0])
  })

  it('reads datasets laid out before packing (no starts): conversation i in window i', () => {
    expect(Array.from(lossMask([{ length: 3, spans: [[1, 3]] }, { length: 2, spans: [[1, 2]] }], 4, 8))).toEqual([0, 1, 1, 0, 0, 1, 0, 0])
  })
})

describe('layOutWindows, packed', () => {
  const a = conversation([1, 2, 3], [0, 1, 1])
  const b = conversation([4, 5, 6, 7, 8], [0, 0, 1, 1, 1])
  const c = conversation([9, 10], [0, 1])
  const d = conversation([11, 12, 13, 14, 15, 16, 17, 18], [0, 0, 0, 0, 1, 1, 1, 1])

  it('fills windows best-fit by decreasing length, the rest padding; losses, mask and positions per conversation', () => {
    // Width 8: d (8) fills a window; b (5) opens one, a (3) fits after it; c (2) opens a third.
    const laid = layOutWindows([[a, b, c, d]], { seqLen: 7, vocabSize: 20, padId: 0, lossOn: 'answers', packing: 'packed' })
    expect(Array.from(laid.tokens)).toEqual([
      11, 12, 13, 14, 15, 16, 17, 18,
      4, 5, 6, 7, 8, 1, 2, 3,
      9, 10, 0, 0, 0, 0, 0, 0,
    ])
    expect(laid.placed[0]).toEqual([
      { start: 13, length: 3, spans: [[1, 3]] },
      { start: 8, length: 5, spans: [[2, 5]] },
      { start: 16, length: 2, spans: [[1, 2]] },
      { start: 0, length: 8, spans: [[4, 8]] },
    ])
    expect(laid.counts).toMatchObject({ padTokens: 6, windows: 3, packing: 'packed', lossShare: (2 + 3 + 1 + 4) / (3 * 7) })
    expect(Array.from(lossMask(laid.placed[0], 8, 24))).toEqual([
      0, 0, 0, 0, 1, 1, 1, 1,
      0, 0, 1, 1, 1, 0, 1, 1,
      0, 1, 0, 0, 0, 0, 0, 0,
    ])
    expect(Array.from(chatPositions(laid.placed[0], 8, 24))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
      0, 1, 2, 3, 4, 0, 1, 2,
      0, 1, 0, 1, 2, 3, 4, 5,
    ])
  })

  it('never puts two groups (training, validation) in one window, and carries the same answer tokens as padding', () => {
    const options = { seqLen: 7, vocabSize: 20, padId: 0, lossOn: 'answers' as const }
    const packed = layOutWindows([[a, c], [b]], { ...options, packing: 'packed' })
    expect(packed.groupStarts).toEqual([0, 8])
    expect(packed.counts.windows).toBe(2)
    expect(Array.from(packed.tokens)).toEqual([1, 2, 3, 9, 10, 0, 0, 0, 4, 5, 6, 7, 8, 0, 0, 0])
    const padded = layOutWindows([[a, c], [b]], { ...options, packing: 'padded' })
    expect(padded.groupStarts).toEqual([0, 16])
    const carried = (laid: typeof packed): number => lossMask(laid.placed.flat(), 8, laid.tokens.length).reduce((s, v) => s + v, 0)
    expect(carried(packed)).toBe(carried(padded))
    expect(packed.counts.lossShare).toBeGreaterThan(padded.counts.lossShare)
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
