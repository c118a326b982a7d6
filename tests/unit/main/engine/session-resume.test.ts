import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, type SessionOptions } from '../../../../src/main/engine/session'
import { loadCheckpoint, type Checkpoint } from '../../../../src/main/engine/checkpoints'
import type { NamedTensor } from '../../../../src/main/engine/model/trainer'
import type { RunConfigInput, RunFinished } from '../../../../src/shared/training'
import { payloads, record, workspace, type Workspace } from './session/fixtures'

let ws: Workspace
beforeAll(async () => {
  ws = await workspace()
})
afterAll(async () => {
  await ws.cleanup()
})

const N = 12

function config(threads: number, runName?: string): RunConfigInput {
  return {
    model: { vocabSize: 64, embedDim: 32, numLayers: 2, numHeads: 2, seqLen: 16 },
    training: { tokenizer: 'word', threads, maxSteps: 2 * N, evalInterval: 5, batchSize: 4 },
    paths: { checkpointDir: ws.checkpoints, ...(runName ? { runName } : {}) },
  }
}

async function train(options: Omit<SessionOptions, 'folder'>): Promise<RunFinished> {
  const session = await createSession({ folder: ws.corpus, sample: false, ...options })
  const finished = await session.run()
  expect(finished.state, finished.message).toBe('done')
  return finished
}

function tensors(checkpoint: Checkpoint): NamedTensor[] {
  return [...checkpoint.state.params, ...checkpoint.state.adamM, ...checkpoint.state.adamV]
}

function bytesOf(tensor: NamedTensor): Buffer {
  return Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)
}

describe('resuming a run', () => {
  let straight: Checkpoint
  let stopped: RunFinished

  beforeAll(async () => {
    straight = await loadCheckpoint((await train({ config: config(2, 'straight') })).checkpoint!)
    stopped = await train({ config: config(2, 'interrupted'), stopAtStep: N })
  })

  it('stops at step N with a checkpoint', () => {
    expect(stopped).toMatchObject({ reason: 'stopped', step: N })
    expect(stopped.checkpoint).toBe(join(ws.checkpoints, 'interrupted', `checkpoint_step_${N}.safetensors`))
  })

  it('continues exactly: N + N steps give the same tensor bytes as 2N straight', async () => {
    const resumedSession = await createSession({ folder: ws.corpus, sample: false, resume: stopped.checkpoint!, config: { training: { threads: 2 } } })
    const events = record(resumedSession)
    const finished = await resumedSession.run()
    expect(finished).toMatchObject({ state: 'done', reason: 'completed', step: 2 * N })
    expect(payloads(events, 'training.started')[0]).toMatchObject({ startStep: N, totalSteps: 2 * N, initialValLoss: null })
    const steps = payloads(events, 'training.progress').flatMap((p) => p.points.map((point) => point.step))
    expect(steps).toEqual(Array.from({ length: N }, (_, i) => N + i + 1))

    const resumed = await loadCheckpoint(finished.checkpoint!)
    expect(resumed.state.step).toBe(2 * N)
    const expected = tensors(straight)
    const actual = tensors(resumed)
    expect(actual.map((t) => t.name)).toEqual(expected.map((t) => t.name))
    for (let i = 0; i < expected.length; i++) {
      expect(bytesOf(actual[i]).equals(bytesOf(expected[i])), expected[i].name).toBe(true)
    }
    expect(resumed.metadata.losses.val).toBe(straight.metadata.losses.val)
  })

  it('continues on a different number of threads, equal within float tolerance', async () => {
    // The straight run used 2 threads; this one resumes the same checkpoint on 1.
    const finished = await train({ resume: stopped.checkpoint!, config: { training: { threads: 1 } } })
    const resumed = await loadCheckpoint(finished.checkpoint!)
    const expected = straight.state.params
    let worst = 0
    for (let i = 0; i < expected.length; i++) {
      const a = expected[i].data
      const b = resumed.state.params[i].data
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]))
    }
    expect(worst).toBeGreaterThan(0) // different summation order: not bit-identical, …
    expect(worst).toBeLessThan(1e-4) // … but the same numbers within float tolerance
    expect(Math.abs(resumed.metadata.losses.val! - straight.metadata.losses.val!)).toBeLessThan(1e-4)
  })

  it('refuses a changed model shape, naming the field', async () => {
    const error = await createSession({
      folder: ws.corpus,
      resume: stopped.checkpoint!,
      config: { model: { embedDim: 64 } },
    }).then(
      () => new Error('accepted'),
      (e: unknown) => e as Error,
    )
    expect(error.message).toMatch(/model\.embedDim: 64 does not match the checkpoint's 32/)
  })

  it('refuses a changed corpus unless forced, and then warns', async () => {
    await appendFile(join(ws.corpus, 'doc0.txt'), 'A new sentence about the cat.\n')
    const session = await createSession({ folder: ws.corpus, sample: false, resume: stopped.checkpoint! })
    const finished = await session.run()
    expect(finished).toMatchObject({ state: 'failed', code: 'invalid-input' })
    expect(finished.message).toMatch(/--force/)

    const forced = await createSession({ folder: ws.corpus, sample: false, resume: stopped.checkpoint!, force: true, config: { training: { maxSteps: N + 2 } } })
    const events = record(forced)
    expect(await forced.run()).toMatchObject({ state: 'done', step: N + 2 })
    expect(payloads(events, 'training.started')[0].warnings.join(' ')).toMatch(/not the one checkpoint/)
  })
})
