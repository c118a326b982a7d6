/**
 * models.inspect: a model to start from is read when chosen, exactly as a fine-tuning run reads
 * it — a checkpoint of the runs, an exported Hugging Face folder, and the refusals (not a model,
 * not readable), whose advice fits the platform (no folder picker in the browser build).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi, type EngineApi } from '../../../../../../src/main/engine/api/engine-api'
import { createSession } from '../../../../../../src/main/engine/session'
import { exportHuggingFace } from '../../../../../../src/main/engine/checkpoints/export-hf'
import { countParameters } from '../../../../../../src/shared/training'
import type { ModelSummary } from '../../../../../../src/shared/contract'
import { workspace, type Workspace } from '../../session/fixtures'

let ws: Workspace
let final: string
let exported: string
const model = { vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 16 }
beforeAll(async () => {
  ws = await workspace(4, 200)
  const session = await createSession({
    folder: ws.corpus,
    config: { model, training: { tokenizer: 'bpe', threads: 2, maxSteps: 4, checkpointInterval: 0 }, paths: { checkpointDir: ws.checkpoints } },
    sample: false,
  })
  final = (await session.run()).checkpoint!
  exported = join(ws.root, 'models', 'tiny-hf')
  await exportHuggingFace(final, exported)
}, 120_000)
afterAll(async () => {
  await ws.cleanup()
})

type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } }
function api(options: { picker: boolean }): EngineApi {
  return createEngineApi({
    transport: options.picker ? 'ipc' : 'websocket',
    version: 't',
    sampleCorpus: ws.corpus,
    checkpointDir: ws.checkpoints,
    mayRead: (folder) => folder.startsWith(join(ws.root, 'models')),
    ...(options.picker ? { pickFolder: async () => null } : { readableRoots: [join(ws.root, 'models')] }),
  })
}
const inspect = (engine: EngineApi, path: string) =>
  engine.dispatch('models.inspect', { path }, { transport: 'test' }) as Promise<Reply<ModelSummary>>

describe('models.inspect', () => {
  it('says what a checkpoint of the runs and an exported Hugging Face folder are', async () => {
    const engine = api({ picker: false })
    const expected = { model, tokenizer: 'bpe', parameters: countParameters(model) }
    expect(await inspect(engine, final)).toEqual({ ok: true, value: { path: final, kind: 'checkpoint', ...expected } })
    expect(await inspect(engine, exported)).toEqual({ ok: true, value: { path: exported, kind: 'huggingface', family: 'gpt2', ...expected } })
  })

  it('refuses a folder that is no model, naming what is missing', async () => {
    const empty = join(ws.root, 'models', 'empty')
    await mkdir(empty, { recursive: true })
    const reply = await inspect(api({ picker: false }), empty)
    expect(reply.ok).toBe(false)
    expect(!reply.ok && reply.error.message).toMatch(/config\.json/)
  })

  it('refuses a folder it may not read, with advice that fits the platform', async () => {
    const browser = await inspect(api({ picker: false }), ws.corpus)
    expect(browser).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(!browser.ok && browser.error.message).toBe(
      `This app may not read ${ws.corpus}. Type the model's folder inside ${join(ws.root, 'models')} (the folders cllm serve --root allows), or name a checkpoint of your runs.`,
    )
    const desktop = await inspect(api({ picker: true }), ws.corpus)
    expect(!desktop.ok && desktop.error.message).toMatch(/Choose the model's folder with the folder picker, or name a checkpoint of your runs\.$/)
  })
})
