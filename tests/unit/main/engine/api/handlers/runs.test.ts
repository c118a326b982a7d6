import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi, type EngineApi } from '../../../../../../src/main/engine/api/engine-api'
import type { RunHistory, RunNotes, RunsListing } from '../../../../../../src/shared/runs'
import { appendMetrics, createRunDir, writeRunJson } from '../../../../../../src/main/engine/checkpoints'

let root: string
let checkpointDir: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-runs-api-'))
  checkpointDir = join(root, 'checkpoints')
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function makeRun(name: string): Promise<string> {
  const dir = await createRunDir(checkpointDir, name)
  await writeRunJson(dir, {
    name,
    created: '2026-11-27T11:07:00.000Z',
    config: { model: { vocabSize: 64, seqLen: 4, dModel: 8, nLayers: 1, nHeads: 2 }, training: { batchSize: 2 } },
    corpusFingerprint: 'x',
    ended: { reason: 'completed', step: 2, at: '2026-11-27T11:08:00.000Z' },
  })
  await appendMetrics(dir, [1, 2].map((step) => ({ step, loss: 3, lr: 0.001, tokens_per_s: 10, time: '2026-11-27T11:08:00.000Z' })))
  return dir
}

type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } }
const call = <T>(api: EngineApi, method: string, input: unknown) => api.dispatch(method, input, { transport: 'test' }) as Promise<Reply<T>>

describe('runs.* methods', () => {
  it('list, history, annotate and delete (to the folder trash in the browser transport), contained in the checkpoint folder', async () => {
    const api = createEngineApi({ transport: 'websocket', version: 't', sampleCorpus: root, checkpointDir, mayRead: () => true })
    const dir = await makeRun('a')
    const list = await call<RunsListing>(api, 'runs.list', {})
    expect(list.ok && list.value.runs.map((r) => [r.name, r.status, r.step, r.tokens])).toEqual([['a', 'done', 2, 16]])
    const history = await call<RunHistory>(api, 'runs.history', { runDir: dir })
    expect(history.ok && history.value.records.map((r) => r.step)).toEqual([1, 2])
    const annotated = await call<RunNotes>(api, 'runs.annotate', { runDir: dir, title: 'Baseline', notes: 'lr 1e-3' })
    expect(annotated).toEqual({ ok: true, value: { title: 'Baseline', notes: 'lr 1e-3' } })
    const relisted = await call<RunsListing>(api, 'runs.list', {})
    expect(relisted.ok && relisted.value.runs[0]).toMatchObject({ title: 'Baseline', notes: 'lr 1e-3' })

    const outside = await call(api, 'runs.delete', { runDir: root })
    expect(outside).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await call(api, 'runs.delete', { runDir: dir })).toEqual({ ok: true, value: { deleted: dir } })
    expect(await readdir(checkpointDir)).toEqual(['.trash'])
    expect((await readdir(join(checkpointDir, '.trash')))[0]).toMatch(/^a-\d{4}-/)
    const empty = await call<RunsListing>(api, 'runs.list', {})
    expect(empty.ok && empty.value.runs).toEqual([])
  })

  it('passes a deleted run to the injected trash (Electron’s shell.trashItem)', async () => {
    const trashed: string[] = []
    const api = createEngineApi({ transport: 'ipc', version: 't', sampleCorpus: root, checkpointDir, mayRead: () => true, trash: async (path) => void trashed.push(path) })
    const dir = await makeRun('b')
    expect(await call(api, 'runs.delete', { runDir: dir })).toMatchObject({ ok: true })
    expect(trashed).toEqual([dir])
  })
})
