import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRunDir, writeRunJson } from '../../../../../src/main/engine/checkpoints'
import { acquireRunLock, deleteRun, listRunSummaries, writeNotes } from '../../../../../src/main/engine/runs'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-runs-list-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const model = { vocabSize: 64, seqLen: 4, dModel: 8, nLayers: 1, nHeads: 2 }

async function run(name: string, ended?: { reason: string; step: number }): Promise<string> {
  const path = await createRunDir(dir, name)
  await writeRunJson(path, {
    name,
    created: '2026-11-27T11:00:00.000Z',
    config: { model },
    corpusFingerprint: 'x',
    ...(ended ? { ended: { ...ended, at: '2026-11-27T11:05:00.000Z' } } : {}),
  })
  return path
}

describe('run statuses', () => {
  it('done, stopped and failed from run.json; running while a live process holds the lock; interrupted after a dead one', async () => {
    await run('a-done', { reason: 'completed', step: 10 })
    await run('b-stopped', { reason: 'stopped', step: 5 })
    await run('c-failed', { reason: 'failed', step: 3 })
    const live = await run('d-running')
    const lock = await acquireRunLock(live)
    const dead = await run('e-killed')
    await writeFile(join(dead, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), processStarted: new Date().toISOString(), acquired: new Date().toISOString() }))
    await run('f-never-ended')

    const statuses = Object.fromEntries((await listRunSummaries(dir)).runs.map((r) => [r.name, [r.status, r.pid]]))
    expect(statuses).toEqual({
      'a-done': ['done', null],
      'b-stopped': ['stopped', null],
      'c-failed': ['failed', null],
      'd-running': ['running', process.pid],
      'e-killed': ['interrupted', null],
      'f-never-ended': ['interrupted', null],
    })
    // A running run can be annotated but not deleted.
    await writeNotes(live, { title: 'Live' })
    await expect(deleteRun(live, async () => undefined)).rejects.toThrow(/still being written/)
    await lock.release()
  })
})
