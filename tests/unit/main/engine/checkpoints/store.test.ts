import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  appendMetrics,
  applyRetention,
  checkpointPath,
  createRunDir,
  deleteCheckpoint,
  finalModelPath,
  listRuns,
  readMetrics,
  readRunJson,
  saveCheckpoint,
  writeRunJson,
} from '../../../../../src/main/engine/checkpoints'
import type { ModelConfig } from '../../../../../src/main/engine/model/trainer'
import { UserError } from '../../../../../src/shared/errors'
import { makeCheckpoint, tempDir } from './fixtures'

const SMALL: ModelConfig = { vocabSize: 64, seqLen: 4, dModel: 8, nLayers: 1, nHeads: 2 }

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) =>
      error instanceof UserError ? error.code : `not a UserError: ${String(error)}`,
  )
}

async function saveStep(runDir: string, step: number, valLoss: number | null): Promise<string> {
  const path = checkpointPath(runDir, step)
  await saveCheckpoint(path, makeCheckpoint(SMALL, { step, valLoss, seed: step }))
  return path
}

const runInfo = (name: string, created = '2026-11-27T11:07:00.000Z') => ({
  name,
  created,
  config: { model: SMALL, training: { batchSize: 4 } },
  corpusFingerprint: 'sha256:abc',
})

describe('run folders', () => {
  it('names a new run after the local time and never reuses a folder', async () => {
    const now = new Date(2026, 10, 27, 11, 7)
    const first = await createRunDir(join(dir, 'checkpoints'), undefined, now)
    const second = await createRunDir(join(dir, 'checkpoints'), undefined, now)
    expect(basename(first)).toBe('run-2026-11-27-1107')
    expect(basename(second)).toBe('run-2026-11-27-1107-2')
    expect((await stat(second)).isDirectory()).toBe(true)
  })

  it('takes a given name once, and refuses names that are not plain folder names', async () => {
    expect(basename(await createRunDir(dir, 'my-run'))).toBe('my-run')
    expect(await codeOf(createRunDir(dir, 'my-run'))).toBe('invalid-input')
    expect(await codeOf(createRunDir(dir, '../escape'))).toBe('invalid-input')
    expect(await codeOf(createRunDir(dir, '..'))).toBe('invalid-input')
  })

  it('refuses a checkpoint folder that is a file', async () => {
    await writeFile(join(dir, 'file'), 'x')
    expect(await codeOf(createRunDir(join(dir, 'file')))).toBe('not-a-folder')
  })

  it('names checkpoint files by step', () => {
    expect(checkpointPath('/runs/a', 120)).toBe(join('/runs/a', 'checkpoint_step_120.safetensors'))
    expect(finalModelPath('/runs/a')).toBe(join('/runs/a', 'final_model.safetensors'))
    expect(() => checkpointPath('/runs/a', -1)).toThrow()
  })

  it('writes and reads run.json, and refuses a damaged one', async () => {
    const runDir = await createRunDir(dir, 'r')
    await writeRunJson(runDir, runInfo('r'))
    expect(await readRunJson(runDir)).toEqual(runInfo('r'))
    await writeFile(join(runDir, 'run.json'), '{"name": "r"')
    expect(await codeOf(readRunJson(runDir))).toBe('invalid-input')
  })
})

describe('metrics.jsonl', () => {
  it('appends one JSON object per line and reads them back, skipping a line torn by a crash', async () => {
    const runDir = await createRunDir(dir, 'r')
    const time = '2026-11-27T11:08:00.000Z'
    await appendMetrics(runDir, { step: 1, loss: 5.5, lr: 1e-4, tokens_per_s: 1000, time })
    await appendMetrics(runDir, [
      { step: 2, loss: NaN, val_loss: 5.1, lr: 2e-4, tokens_per_s: 1100, time },
      { step: 3, loss: 5.2, lr: 3e-4, tokens_per_s: 1200, time, epoch: 0.5 },
    ])
    const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(JSON.parse(lines[1])).toEqual({
      step: 2,
      loss: null,
      val_loss: 5.1,
      lr: 2e-4,
      tokens_per_s: 1100,
      time,
    })

    await appendFile(join(runDir, 'metrics.jsonl'), '{"step": 4, "lo')
    const { records, skippedLines } = await readMetrics(runDir)
    expect(records.map((r) => r.step)).toEqual([1, 2, 3])
    expect(records[2].epoch).toBe(0.5)
    expect(skippedLines).toBe(1)
  })

  it('refuses a record without the required fields', async () => {
    const runDir = await createRunDir(dir, 'r')
    // @ts-expect-error: lr and the rest are missing on purpose
    await expect(appendMetrics(runDir, { step: 1, loss: 1 })).rejects.toThrow()
  })
})

describe('retention', () => {
  it('keeps the N newest step checkpoints, the best by validation loss and final_model', async () => {
    const runDir = await createRunDir(dir, 'r')
    const losses: Record<number, number> = { 10: 3.0, 20: 1.5, 30: 2.5, 40: 2.0, 50: 2.2, 60: 2.1 }
    for (const [step, loss] of Object.entries(losses)) await saveStep(runDir, Number(step), loss)
    await saveCheckpoint(finalModelPath(runDir), makeCheckpoint(SMALL, { step: 61, valLoss: 2.05 }))
    await writeFile(join(runDir, 'checkpoint_step_5.safetensors'), 'not a checkpoint')

    const result = await applyRetention(runDir, { keep: 2 })
    const files = (await readdir(runDir)).sort()
    expect(files).toEqual([
      'checkpoint_step_20.safetensors',
      'checkpoint_step_5.safetensors',
      'checkpoint_step_50.safetensors',
      'checkpoint_step_60.safetensors',
      'final_model.safetensors',
    ])
    expect(result.removed.map((p) => basename(p))).toEqual([
      'checkpoint_step_10.safetensors',
      'checkpoint_step_30.safetensors',
      'checkpoint_step_40.safetensors',
    ])
    expect(result.kept.map((p) => basename(p)).sort()).toEqual(files)
  })

  it('with keep 0 keeps only the best and the final model; without validation losses only the newest', async () => {
    const runDir = await createRunDir(dir, 'r')
    await saveStep(runDir, 1, 2.0)
    await saveStep(runDir, 2, 1.0)
    await saveStep(runDir, 3, 3.0)
    await applyRetention(runDir, { keep: 0 })
    expect(await readdir(runDir)).toEqual(['checkpoint_step_2.safetensors'])

    const other = await createRunDir(dir, 'no-val')
    for (const step of [1, 2, 3]) await saveStep(other, step, null)
    await applyRetention(other, { keep: 1 })
    expect(await readdir(other)).toEqual(['checkpoint_step_3.safetensors'])
  })
})

describe('listRuns', () => {
  it('lists runs oldest first with their checkpoints, marks the best, and shows junk as corrupt', async () => {
    const root = join(dir, 'checkpoints')
    const older = await createRunDir(root, 'older')
    await writeRunJson(older, runInfo('older', '2026-11-26T09:00:00.000Z'))
    await saveStep(older, 100, 2.0)

    const newer = await createRunDir(root, 'newer')
    await writeRunJson(newer, runInfo('newer', '2026-11-27T09:00:00.000Z'))
    await saveStep(newer, 20, 3.0)
    await saveStep(newer, 10, 2.5)
    await saveCheckpoint(finalModelPath(newer), makeCheckpoint(SMALL, { step: 30, valLoss: 2.7 }))
    await writeFile(join(newer, 'checkpoint_step_40.safetensors'), Buffer.alloc(3))
    await writeFile(join(newer, 'final_model.safetensors.tmp-0123456789ab'), 'half')
    await writeFile(join(newer, 'notes.txt'), 'not listed')

    await mkdir(join(root, 'empty-folder'))
    await writeFile(join(root, 'stray.txt'), 'x')

    const listing = await listRuns(root)
    expect(listing.dir).toBe(root)
    expect(listing.runs.map((r) => r.name)).toEqual(['older', 'newer'])

    const run = listing.runs[1]
    expect(run.created).toBe('2026-11-27T09:00:00.000Z')
    expect(run.info?.config.model).toEqual(SMALL)
    expect(run.checkpoints.map((c) => [c.file, c.status, c.step, c.valLoss, c.best])).toEqual([
      ['checkpoint_step_10.safetensors', 'ok', 10, 2.5, true],
      ['checkpoint_step_20.safetensors', 'ok', 20, 3.0, false],
      ['checkpoint_step_40.safetensors', 'corrupt', 40, null, false],
      ['final_model.safetensors', 'ok', 30, 2.7, false],
    ])
    const corrupt = run.checkpoints[2]
    expect(corrupt.problem).toMatch(/3 bytes long, too short/)
    expect(corrupt.sizeBytes).toBe(3)
    const ok = run.checkpoints[0]
    expect(ok.sizeBytes).toBe((await stat(ok.path)).size)
    expect(ok.epoch).toBe(1.5)
    expect(ok.trainLoss).toBe(4.5)
    expect(ok.kind).toBe('step')
    expect(run.checkpoints[3].kind).toBe('final')
  })

  it('lists a run folder given directly, and a run whose run.json is damaged', async () => {
    const runDir = await createRunDir(dir, 'solo')
    await saveStep(runDir, 1, 1.0)
    await writeFile(join(runDir, 'run.json'), 'garbage')
    const listing = await listRuns(runDir)
    expect(listing.runs).toHaveLength(1)
    expect(listing.runs[0].info).toBeNull()
    expect(listing.runs[0].problem).toMatch(/run\.json is not valid JSON/)
    expect(listing.runs[0].checkpoints).toHaveLength(1)
  })

  it('refuses a folder that does not exist', async () => {
    expect(await codeOf(listRuns(join(dir, 'missing')))).toBe('not-found')
  })
})

describe('deleteCheckpoint', () => {
  it('removes a checkpoint file and refuses anything else', async () => {
    const runDir = await createRunDir(dir, 'r')
    const path = await saveStep(runDir, 1, 1)
    await writeRunJson(runDir, runInfo('r'))
    await deleteCheckpoint(path)
    expect(await codeOf(deleteCheckpoint(join(runDir, 'run.json')))).toBe('invalid-input')
    expect(await codeOf(deleteCheckpoint(path))).toBe('not-found')
    expect(await readdir(runDir)).toEqual(['run.json'])
  })
})
