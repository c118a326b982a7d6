/**
 * A Llama run through the session: its run config and checkpoints record the architecture with every
 * default written out and the weights under Hugging Face Llama names; stopping at step N and resuming
 * gives the same tensor bytes as 2N steps straight; a resume cannot change the architecture.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, type SessionOptions } from '../../../../src/main/engine/session'
import { loadCheckpoint, type Checkpoint } from '../../../../src/main/engine/checkpoints'
import type { NamedTensor } from '../../../../src/main/engine/model/trainer'
import type { RunConfigInput, RunFinished } from '../../../../src/shared/training'
import { workspace, type Workspace } from './session/fixtures'

let ws: Workspace
beforeAll(async () => {
  ws = await workspace()
})
afterAll(async () => {
  await ws.cleanup()
})

const N = 8

function config(runName: string): RunConfigInput {
  return {
    model: { architecture: 'llama', vocabSize: 64, embedDim: 32, numLayers: 2, numHeads: 4, numKvHeads: 2, seqLen: 16 },
    training: { tokenizer: 'word', threads: 2, maxSteps: 2 * N, evalInterval: 5, batchSize: 4 },
    paths: { checkpointDir: ws.checkpoints, runName },
  }
}

async function train(options: Omit<SessionOptions, 'folder'>): Promise<RunFinished> {
  const session = await createSession({ folder: ws.corpus, sample: false, ...options })
  const finished = await session.run()
  expect(finished.state, finished.message).toBe('done')
  return finished
}

const tensors = (c: Checkpoint): NamedTensor[] => [...c.state.params, ...c.state.adamM, ...c.state.adamV]
const bytesOf = (t: NamedTensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)

describe('a Llama run', () => {
  let straight: Checkpoint
  let stopped: RunFinished

  beforeAll(async () => {
    straight = await loadCheckpoint((await train({ config: config('straight') })).checkpoint!)
    stopped = await train({ config: config('interrupted'), stopAtStep: N })
  })

  it('records the architecture with its defaults, and its weights under Hugging Face Llama names', async () => {
    expect(straight.metadata.config.model).toEqual({
      architecture: 'llama', vocabSize: 64, seqLen: 16, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 88,
      normEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: true, qkvBias: false,
    })
    const names = straight.state.params.map((t) => t.name)
    expect(names[0]).toBe('model.embed_tokens.weight')
    expect(names).toContain('model.layers.1.mlp.down_proj.weight')
    expect(names).not.toContain('lm_head.weight')
    const run = JSON.parse(await readFile(join(dirname(stopped.checkpoint!), 'run.json'), 'utf8')) as { config: { model: { architecture: string } } }
    expect(run.config.model.architecture).toBe('llama')
  })

  it('continues exactly: N + N steps give the same tensor bytes as 2N straight', async () => {
    const finished = await train({ resume: stopped.checkpoint!, config: { training: { threads: 2 } } })
    expect(finished).toMatchObject({ reason: 'completed', step: 2 * N })
    const resumed = await loadCheckpoint(finished.checkpoint!)
    const expected = tensors(straight)
    const actual = tensors(resumed)
    expect(actual.map((t) => t.name)).toEqual(expected.map((t) => t.name))
    for (let i = 0; i < expected.length; i++) expect(bytesOf(actual[i]).equals(bytesOf(expected[i])), expected[i].name).toBe(true)
    expect(resumed.metadata.losses.val).toBe(straight.metadata.losses.val)
  })

  it('refuses a resume that changes the architecture or the key/value heads', async () => {
    const attempt = (model: object) =>
      createSession({ folder: ws.corpus, resume: stopped.checkpoint!, config: { model } }).then(
        () => new Error('accepted'),
        (e: unknown) => e as Error,
      )
    expect((await attempt({ architecture: 'gpt2' })).message).toMatch(/model\.architecture: gpt2 does not match the checkpoint's llama/)
    expect((await attempt({ numKvHeads: 4 })).message).toMatch(/model\.numKvHeads: 4 does not match the checkpoint's 2/)
  })
})
