/**
 * Chat data through the engine API, on a real tiny chat run: the Data view's Tokenize prepares the
 * chat dataset (prompt and answer tokens, the share carrying the loss, per Loss on) and the run then
 * reuses it; checkpoints.evaluate scores a chat run's held-out conversations by default, answers only
 * (the run's own validation loss), and a folder of `.jsonl` as conversations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi, type EngineApi } from '../../../../../../src/main/engine/api/engine-api'
import { createSession } from '../../../../../../src/main/engine/session'
import type { PrepareResult } from '../../../../../../src/shared/contract'
import type { EvaluationResult, RunFinished } from '../../../../../../src/shared/training'
import { chatWorkspace, type ChatWorkspace } from '../../chat/chat-fixtures'

let ws: ChatWorkspace
let api: EngineApi
beforeAll(async () => {
  ws = await chatWorkspace()
  api = createEngineApi({ transport: 'websocket', version: 't', sampleCorpus: ws.data, checkpointDir: ws.checkpoints, mayRead: () => true })
})
afterAll(async () => {
  await api?.shutdown()
  await ws.cleanup()
})

type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } }
const call = async <T>(method: string, input: unknown): Promise<T> => {
  const reply = (await api.dispatch(method, input, { transport: 'test' })) as Reply<T>
  if (!reply.ok) throw new Error(`${method}: ${reply.error.message}`)
  return reply.value
}

describe('chat data through the engine API', () => {
  let finished: RunFinished
  it('Tokenize prepares the chat dataset with its counts per Loss on, and a run reuses it', async () => {
    await call('corpus.scan', { folder: ws.data })
    const all = await call<PrepareResult>('dataset.prepare', { vocabSize: 300, seqLen: 32, lossOn: 'all' })
    // The settings a run will use, last: the one Tokenize keeps.
    const answers = await call<PrepareResult>('dataset.prepare', { vocabSize: 300, seqLen: 32 })
    expect(answers.chat).toMatchObject({ conversations: 105, lossOn: 'answers', packing: 'packed' })
    expect(answers.chat!.answerTokens).toBeGreaterThan(0)
    expect(answers.chat!.promptTokens).toBeGreaterThan(answers.chat!.answerTokens)
    expect(all.chat!.lossShare).toBeGreaterThan(answers.chat!.lossShare)
    // Chat only, or text only: the folder holds no plain text.
    const asText = (await api.dispatch('dataset.prepare', { vocabSize: 300, seqLen: 32, data: 'text' }, { transport: 'test' })) as Reply<unknown>
    expect(asText).toMatchObject({ ok: false, error: { message: expect.stringMatching(/only \.jsonl chat data/) } })

    const session = await createSession({
      folder: ws.data,
      sample: false,
      config: {
        model: { vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 32 },
        training: { threads: 2, maxSteps: 8, evalInterval: 4, checkpointInterval: 0 },
        paths: { checkpointDir: ws.checkpoints, runName: 'api-chat' },
      },
    })
    const reused: string[] = []
    session.on((event) => {
      if (event.event === 'training.prepare' && /from the cache/.test(event.payload.detail)) reused.push(event.payload.detail)
    })
    finished = await session.run()
    expect(finished.state).toBe('done')
    expect(reused.length).toBeGreaterThan(0)
  })

  it('checkpoints.evaluate scores the held-out conversations by default, answers only, and a .jsonl folder as conversations', async () => {
    const held = await call<EvaluationResult>('checkpoints.evaluate', { checkpoint: finished.checkpoint })
    expect(Math.abs(held.loss - finished.valLoss!)).toBeLessThan(1e-5 * finished.valLoss!)
    const folder = await call<EvaluationResult>('checkpoints.evaluate', { checkpoint: finished.checkpoint, folder: ws.data })
    expect(folder.tokens).toBeGreaterThan(held.tokens)
    expect(folder.perplexity).toBeCloseTo(Math.exp(folder.loss), 8)
  })
})
