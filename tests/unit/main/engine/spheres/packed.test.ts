/**
 * Packed chat windows through the real sphere pool: the same conversations packed (several per window,
 * positions sent along) or padded (one per window) give the same validation loss and the same training
 * steps, within float32 noise, on one sphere and on two; packed needs fewer windows for it.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { chatPositions, layOutWindows, lossMask, type ChatWindows } from '../../../../../src/main/engine/chat/windows'
import type { ChatPacking } from '../../../../../src/shared/chat'
import { randomTokens } from '../model/harness'
import { ensureKernelsBuilt, tinyModel, trainer } from './helpers'

const T = tinyModel.seqLen
const W = T + 1
const lengths = [9, 4, 12, 3, 6, 7, 5, 17]
const conversations = lengths.map((n, c) => ({
  ids: randomTokens(n, tinyModel.vocabSize, c + 1),
  // Answers: the second half of each conversation.
  answer: Uint8Array.from({ length: n }, (_, i) => (i >= n / 2 ? 1 : 0)),
}))

function laidOut(packing: ChatPacking): { laid: ChatWindows; mask: Uint8Array; positions?: Uint16Array; starts: number[] } {
  const laid = layOutWindows([conversations], { seqLen: T, vocabSize: tinyModel.vocabSize, padId: 0, lossOn: 'answers', packing })
  const total = laid.tokens.length
  const mask = lossMask(laid.placed[0], W, total)
  const starts = Array.from({ length: laid.counts.windows! }, (_, w) => w * W)
  return { laid, mask, starts, ...(packing === 'packed' ? { positions: chatPositions(laid.placed[0], W, total) } : {}) }
}

beforeAll(() => ensureKernelsBuilt())

describe('sphere pool on packed chat windows', () => {
  it('gives the loss and training steps of padded windows, in fewer windows', async () => {
    const packed = laidOut('packed')
    const padded = laidOut('padded')
    expect(packed.starts.length).toBeLessThan(padded.starts.length)
    expect(packed.mask.reduce((s, v) => s + v, 0)).toBe(padded.mask.reduce((s, v) => s + v, 0))
    for (const threads of [1, 2]) {
      const curves: number[][] = []
      const validation: number[] = []
      for (const layout of [packed, padded]) {
        const pool = await trainer({ threads, batchSize: padded.starts.length })
        try {
          validation.push(await pool.evaluate(layout.laid.tokens, layout.starts, layout.mask, layout.positions))
          const losses: number[] = []
          for (let k = 0; k < 5; k++) losses.push((await pool.step(layout.laid.tokens, layout.starts, 3e-3, layout.mask, layout.positions)).loss)
          curves.push(losses)
        } finally {
          await pool.close()
        }
      }
      expect(Math.abs(validation[0] - validation[1])).toBeLessThan(1e-5 * validation[1])
      curves[1].forEach((loss, k) => expect(Math.abs(curves[0][k] - loss), `threads ${threads}, step ${k}`).toBeLessThan(1e-4 * loss))
      expect(curves[0][4]).toBeLessThan(curves[0][0])
    }
  })

  it('without the positions, the same packed windows attend across conversations and give another loss', async () => {
    const packed = laidOut('packed')
    const pool = await trainer({ threads: 1, batchSize: packed.starts.length })
    try {
      const exact = await pool.evaluate(packed.laid.tokens, packed.starts, packed.mask, packed.positions)
      const crossing = await pool.evaluate(packed.laid.tokens, packed.starts, packed.mask)
      expect(Math.abs(exact - crossing)).toBeGreaterThan(1e-5 * exact)
    } finally {
      await pool.close()
    }
  })
})
