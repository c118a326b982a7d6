/**
 * Importing a run folder that a job's `train.py` really wrote: a studio run stopped at step N is
 * exported as a job (engine/interchange/job), `train.py` continues it with PyTorch on this CPU into
 * a folder outside the checkpoint folder, and `importRun` brings it back. The imported run is then a
 * child of the studio run: its history is the parent's steps up to N and train.py's after, and the
 * part trained elsewhere says where (train.py's `job` record).
 *
 * Needs Python with PyTorch (tests/unit/support/python-torch.ts); without it the test is skipped and
 * says so, except under CI (which installs Debian's python3-torch).
 */
import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../../../../src/main/engine/session'
import { exportJobFromCheckpoint } from '../../../../../src/main/engine/interchange/job'
import { importRun, listRunSummaries, runHistory, sha256File } from '../../../../../src/main/engine/runs'
import { verifyCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { workspace, type Workspace } from '../session/fixtures'
import { pythonWithTorch } from '../../../support/python-torch'

const PYTHON = pythonWithTorch() // null (said on stderr) only where no Python has torch; under CI it throws
const hasTorch = PYTHON !== null

const N = 4
let ws: Workspace
let parentDir: string
let jobRunDir: string

beforeAll(async () => {
  if (!hasTorch) return
  ws = await workspace(3, 120)
  const session = await createSession({
    folder: ws.corpus,
    sample: false,
    config: {
      model: { vocabSize: 300, embedDim: 16, numLayers: 1, numHeads: 2, seqLen: 8 },
      training: { tokenizer: 'bpe', threads: 1, maxSteps: 2 * N, evalInterval: N, checkpointInterval: N, batchSize: 2 },
      paths: { checkpointDir: ws.checkpoints, runName: 'laptop' },
    },
    stopAtStep: N,
  })
  const stopped = await session.run()
  expect(stopped, stopped.message).toMatchObject({ reason: 'stopped', step: N })
  parentDir = dirname(stopped.checkpoint!)
  const job = await exportJobFromCheckpoint({ checkpoint: stopped.checkpoint!, outDir: join(ws.root, 'job') })
  const out = join(ws.root, 'gpu-box-runs')
  const trained = spawnSync(PYTHON!, [join(job.outDir, 'train.py'), '--device', 'cpu', '--threads', '1', '--out', out], { encoding: 'utf8', cwd: ws.root })
  expect(trained.status, trained.stderr).toBe(0)
  jobRunDir = join(out, `laptop-from-${N}`)
}, 300_000)
afterAll(async () => {
  await ws?.cleanup()
})

describe.skipIf(!hasTorch)('importing the run folder a job wrote', () => {
  it('brings train.py\'s run back as the child of the studio run it continued', async () => {
    const result = await importRun({ source: jobRunDir, checkpointDir: ws.checkpoints })
    expect(result.warnings).toEqual([])
    expect(result.name).toBe(`laptop-from-${N}`)
    expect(result.parentDir).toBe(parentDir)
    expect(result.step).toBe(2 * N)
    expect(result.imported.trainedOn).toMatchObject({ host: hostname(), device: 'cpu', worldSize: 1 })

    const listed = (await listRunSummaries(ws.checkpoints)).runs.find((r) => r.path === result.runDir)!
    expect(listed.status).toBe('done')
    expect(listed.parent).toMatchObject({ runDir: parentDir, runName: 'laptop', step: N })
    for (const checkpoint of listed.checkpoints) expect(await verifyCheckpoint(checkpoint.path)).toMatchObject({ status: 'ok' })

    // train.py writes no dataset: the parent's (the one the job trained on) came along, so a job can
    // be exported from the imported run in turn, and resuming it here encodes nothing again.
    expect(result.files.map((f) => f.name)).toEqual(expect.arrayContaining(['dataset.json', 'tokens.bin', 'tokenizer.json']))
    expect(await sha256File(join(result.runDir, 'tokens.bin'))).toBe(await sha256File(join(parentDir, 'tokens.bin')))
    const again = await exportJobFromCheckpoint({ checkpoint: join(result.runDir, 'final_model.safetensors'), outDir: join(ws.root, 'job-again') })
    expect(again.parent).toMatchObject({ runName: `laptop-from-${N}`, step: 2 * N })

    const history = await runHistory(result.runDir)
    expect(history.problem).toBeUndefined()
    expect(history.records.map((r) => r.step)).toEqual(Array.from({ length: 2 * N + 1 }, (_, i) => i))
    expect(history.records.filter((r) => r.step > N).every((r) => r.run === result.runDir)).toBe(true)
    expect(history.segments.map((s) => [s.name, s.fromStep, s.toStep, s.elsewhere?.trainedOn?.device])).toEqual([
      ['laptop', 0, N, undefined],
      [`laptop-from-${N}`, N, 2 * N, 'cpu'],
    ])
  })
})
