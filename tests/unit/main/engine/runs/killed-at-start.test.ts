/** A run killed while writing its first run.json (only run.lock in its folder) is listed, never invisible. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listRuns } from '../../../../../src/main/engine/checkpoints'
import { listRunSummaries } from '../../../../../src/main/engine/runs'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-killed-start-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('a run killed during its first run.json write', () => {
  it('is listed as interrupted with the reason, by the Runs view and by cllm checkpoints', async () => {
    const folder = join(dir, 'run-killed')
    await mkdir(folder)
    // What a kill between the lock and run.json leaves: the lock of a process that is gone, a temp file of run.json.
    await writeFile(join(folder, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 11, host: hostname(), processStarted: new Date().toISOString(), acquired: new Date().toISOString() }))
    await writeFile(join(folder, `run.json.tmp-${2 ** 22 + 11}-0123456789ab`), '{"name": "run-kil')
    const summaries = await listRunSummaries(dir)
    expect(summaries.runs.map((run) => [run.name, run.status])).toEqual([['run-killed', 'interrupted']])
    const listing = await listRuns(dir)
    expect(listing.runs[0].problem).toMatch(/has no run\.json: its run was stopped while it started/)
  })
})
