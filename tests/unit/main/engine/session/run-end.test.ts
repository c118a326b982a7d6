import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readRunJson, writeRunJson } from '../../../../../src/main/engine/checkpoints'
import { acquireRunLock, readRunLock } from '../../../../../src/main/engine/runs'
import { recordRunEnd } from '../../../../../src/main/engine/session/run-end'
import type { RunEnd } from '../../../../../src/shared/runs'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-run-end-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const ended: RunEnd = { reason: 'completed', step: 30, at: '2026-12-07T05:00:00.000Z', trainLoss: 2.5, valLoss: 2.75, valLossStep: 30 }
const model = { vocabSize: 64, seqLen: 16, dModel: 32, nLayers: 1, nHeads: 2 }

describe('recordRunEnd', () => {
  it('records how the run ended in its run.json, without the pid, then releases the lock', async () => {
    const runDir = join(root, 'done')
    await mkdir(runDir)
    await writeRunJson(runDir, { name: 'done', created: ended.at, config: { model }, corpusFingerprint: 'sha256:abc', pid: process.pid })
    const lock = await acquireRunLock(runDir)
    expect(await readRunLock(runDir)).not.toBeNull()
    await recordRunEnd(runDir, lock, ended)
    const info = await readRunJson(runDir)
    expect(info.ended).toEqual(ended)
    expect(info.pid).toBeUndefined()
    expect(info.name).toBe('done')
    expect(await readRunLock(runDir)).toBeNull()
  })

  it('still releases the lock when run.json cannot be read (the run is then listed as interrupted)', async () => {
    const runDir = join(root, 'no-run-json')
    await mkdir(runDir)
    const lock = await acquireRunLock(runDir)
    await recordRunEnd(runDir, lock, ended)
    expect(await readRunLock(runDir)).toBeNull()
  })
})
