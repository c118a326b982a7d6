/**
 * checkpoints.evaluate through the engine API, on a real tiny run: by default the run's own
 * validation split (the tokens its dataset cut for validation, scored directly as the oracle),
 * or a folder; progress events up to the total; a cancel that ends it with `cancelled`.
 */
import { dirname } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi, type EngineApi } from '../../../../../../src/main/engine/api/engine-api'
import { createSession } from '../../../../../../src/main/engine/session'
import { cachedValidationTokens } from '../../../../../../src/main/engine/dataset/validation'
import { evaluateTexts, evaluateTokenStreams, openCheckpointModel } from '../../../../../../src/main/engine/session/from-checkpoint'
import { loadCorpus } from '../../../../../../src/main/engine/corpus'
import type { EvaluationResult } from '../../../../../../src/shared/training'
import type { EventPayload } from '../../../../../../src/shared/contract'
import { workspace, type Workspace } from '../../session/fixtures'

let ws: Workspace
let final: string
let api: EngineApi
beforeAll(async () => {
  ws = await workspace(6, 200)
  const session = await createSession({
    folder: ws.corpus,
    config: {
      model: { vocabSize: 64, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 16 },
      training: { tokenizer: 'word', threads: 2, maxSteps: 10, checkpointInterval: 0 },
      paths: { checkpointDir: ws.checkpoints },
    },
    sample: false,
  })
  const finished = await session.run()
  final = finished.checkpoint!
  api = createEngineApi({ transport: 'websocket', version: 't', sampleCorpus: ws.corpus, checkpointDir: ws.checkpoints, mayRead: () => true })
}, 120_000)
afterAll(async () => {
  await api?.shutdown()
  await ws.cleanup()
})

type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } }
const call = <T>(method: string, input: unknown) => api.dispatch(method, input, { transport: 'test' }) as Promise<Reply<T>>

function progressOf(evaluationId: string): { events: Array<EventPayload<'checkpoints.evaluateProgress'>>; stop(): void } {
  const events: Array<EventPayload<'checkpoints.evaluateProgress'>> = []
  const stop = api.events.subscribe((event) => {
    if (event.event === 'checkpoints.evaluateProgress' && event.payload.evaluationId === evaluationId) events.push(event.payload)
  })
  return { events, stop }
}

describe('checkpoints.evaluate', () => {
  it('scores the run’s own validation split by default, with progress up to its total', async () => {
    const watch = progressOf('val')
    const reply = await call<EvaluationResult>('checkpoints.evaluate', { checkpoint: final, evaluationId: 'val' })
    watch.stop()
    expect(reply.ok).toBe(true)
    const result = (reply as { value: EvaluationResult }).value

    const model = await openCheckpointModel(final, { threads: 2, batchSize: 8 })
    try {
      const validation = (await cachedValidationTokens(dirname(final), 16))!
      expect(validation.length).toBeGreaterThan(16)
      const direct = await evaluateTokenStreams(model, [validation])
      expect(result.tokens).toBe(validation.length - 1)
      expect(result.loss).toBeCloseTo(direct.loss, 5)
    } finally {
      await model.close()
    }
    const scoring = watch.events.filter((e) => e.phase === 'scoring')
    expect(watch.events[0].phase).toBe('reading')
    expect(scoring.at(-1)).toEqual({ evaluationId: 'val', phase: 'scoring', done: result.tokens, total: result.tokens })
    for (let i = 1; i < scoring.length; i++) expect(scoring[i].done).toBeGreaterThanOrEqual(scoring[i - 1].done)
  })

  it('scores a folder when one is given', async () => {
    const reply = await call<EvaluationResult>('checkpoints.evaluate', { checkpoint: final, folder: ws.corpus })
    const texts = (await loadCorpus({ folder: ws.corpus })).documents.map((d) => d.text)
    const model = await openCheckpointModel(final, { threads: 2, batchSize: 8 })
    try {
      const direct = await evaluateTexts(model, texts)
      expect(reply.ok && reply.value.tokens).toBe(direct.tokens)
      expect(reply.ok && reply.value.loss).toBeCloseTo(direct.loss, 5)
    } finally {
      await model.close()
    }
  })

  it('stops when cancelled, with `cancelled`, and says when there was nothing to cancel', async () => {
    const watch = progressOf('cancel-me')
    // Cancelled at its first event ('reading', sent before the folder is read): the cancel is settled
    // within this turn's microtasks, before any file read completes, so the evaluation cannot have
    // ended by itself, on any machine. (At the first 'scoring' event it could: a fast machine scores a
    // small folder inside one throttle interval, and that event is the last.)
    const cancelled = new Promise<Reply<{ cancelled: boolean }>>((resolve) => {
      const stop = api.events.subscribe((event) => {
        if (event.event === 'checkpoints.evaluateProgress' && event.payload.evaluationId === 'cancel-me' && event.payload.phase === 'reading') {
          stop()
          resolve(call('checkpoints.cancelEvaluate', { evaluationId: 'cancel-me' }))
        }
      })
    })
    const reply = await call<EvaluationResult>('checkpoints.evaluate', { checkpoint: final, folder: ws.corpus, evaluationId: 'cancel-me' })
    watch.stop()
    expect(await cancelled).toEqual({ ok: true, value: { cancelled: true } })
    expect(reply).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(await call('checkpoints.cancelEvaluate', { evaluationId: 'cancel-me' })).toEqual({ ok: true, value: { cancelled: false } })
  })
})
