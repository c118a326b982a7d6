/**
 * Generation with the key/value cache (a token costs one position) against recomputing the whole
 * window for every token (what generation did before the cache): the same logits, bit for bit, and
 * the same greedy text, including past seqLen where the window slides and the cache cannot serve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GenerateOptions } from '../../../../../src/shared/training'
import { generateText } from '../../../../../src/main/engine/session/generate'
import type { Trainer } from '../../../../../src/main/engine/model/trainer'
import { ensureKernelsBuilt, sharedTokens, startsFor, tinyModel, trainer } from '../spheres/helpers'

const V = tinyModel.vocabSize
/** Ids as letters; id 0 is the end of text. */
const codec = {
  endOfText: 0,
  encode: (text: string) => [...text].map((c) => 1 + (c.charCodeAt(0) % (V - 1))),
  decode: (ids: readonly number[]) => ids.map((id) => String.fromCharCode(48 + id)).join(''),
}

describe('generation with the key/value cache', () => {
  let cached: Trainer
  let uncached: Trainer
  beforeAll(async () => {
    ensureKernelsBuilt()
    cached = await trainer({ threads: 1, batchSize: 4 })
    uncached = await trainer({ threads: 1, batchSize: 4, kvCache: false })
    // A few steps, so the logits are far from uniform and the greedy path is not a tie-break.
    const tokens = sharedTokens(2000, V, 9)
    for (let step = 0; step < 8; step++) await cached.step(tokens, startsFor(step, 4, tokens.length, tinyModel.seqLen), 1e-2)
    uncached.setState(cached.getState())
  })
  afterAll(async () => {
    await cached?.close()
    await uncached?.close()
  })

  it('gives the same logits as recomputing the window, bit for bit, token after token', async () => {
    const context = [5, 17, 3]
    for (let i = 0; i < 2 * tinyModel.seqLen; i++) {
      const a = await cached.logits(context)
      const b = await uncached.logits(context)
      expect(a).toEqual(b)
      context.push(a.indexOf(Math.max(...a)))
    }
  })

  it('generates the same greedy text as recomputing, across the seqLen boundary', async () => {
    const options = GenerateOptions.parse({ prompt: 'hello', maxTokens: 40, temperature: 0 })
    const a = await generateText(cached, codec, options)
    const b = await generateText(uncached, codec, options)
    expect(a.tokens.length).toBeGreaterThan(tinyModel.seqLen)
    expect(a).toEqual(b)
  })

  it('serves a window that shares a prefix with a longer cached one (a chat turn after a re-encoded answer)', async () => {
    const long = [4, 9, 2, 11, 6, 1, 8]
    await cached.logits(long)
    // The first four tokens are the cached ones, the fifth differs: one position, the same logits.
    const turn = [4, 9, 2, 11, 13]
    expect(await cached.logits(turn)).toEqual(await uncached.logits(turn))
    turn.push(3)
    expect(await cached.logits(turn)).toEqual(await uncached.logits(turn))
  })

  it('forgets the cache when the weights change', async () => {
    const context = [7, 8, 9]
    await cached.logits(context)
    const state = cached.getState()
    const changed = { ...state, params: state.params.map((t) => ({ ...t, data: t.data.map((x) => x * 0.5) })) }
    cached.setState(changed)
    uncached.setState(changed)
    context.push(10)
    expect(await cached.logits(context)).toEqual(await uncached.logits(context))
  })
})
