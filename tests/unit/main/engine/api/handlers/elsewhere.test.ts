/**
 * jobs.export and runs.import through the dispatcher: where a job goes (jobs/ in the checkpoint
 * folder, or a chosen folder), the README's commands returned by section, progress events matched by
 * id, and the folder rules (a run to import must be in a folder the UI may read).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi, type EngineApi } from '../../../../../../src/main/engine/api/engine-api'
import { jobCommands } from '../../../../../../src/main/engine/api/handlers/elsewhere'
import { isWithin } from '../../../../../../src/main/engine/containment'
import { appendMetrics, finalModelPath, saveCheckpoint, writeRunJson } from '../../../../../../src/main/engine/checkpoints'
import type { ImportRunResult, JobExportResult } from '../../../../../../src/shared/contract'
import type { EngineEvent } from '../../../../../../src/shared/contract'
import { makeCheckpoint, TINY } from '../../checkpoints/fixtures'
import { sentences } from '../../session/fixtures'

let root: string
let checkpointDir: string
let corpus: string
let elsewhere: string
let api: EngineApi
const events: EngineEvent[] = []

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-elsewhere-api-'))
  checkpointDir = join(root, 'checkpoints')
  corpus = join(root, 'corpus')
  elsewhere = join(root, 'chosen')
  await mkdir(corpus)
  await mkdir(elsewhere)
  for (let i = 0; i < 3; i++) await writeFile(join(corpus, `doc${i}.txt`), sentences(i + 1, 80))
  // The UI may read the corpus and the chosen folder only (as cllm serve --root would allow).
  api = createEngineApi({ transport: 'websocket', version: 't', sampleCorpus: corpus, checkpointDir, mayRead: (p) => isWithin(p, corpus) || isWithin(p, elsewhere) })
  api.events.subscribe((event) => void events.push(event))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } }
const call = <T>(method: string, input: unknown) => api.dispatch(method, input, { transport: 'test' }) as Promise<Reply<T>>

const CONFIG = {
  model: { vocabSize: 64, embedDim: 16, numLayers: 1, numHeads: 2, seqLen: 8 },
  training: { tokenizer: 'word', threads: 1, maxSteps: 20, batchSize: 2 },
}

describe('jobs.export', () => {
  it('from the Train form: prepares a step-0 run here and writes the job under jobs/, with its commands', async () => {
    const reply = await call<JobExportResult>('jobs.export', { folder: corpus, config: CONFIG, jobId: 'j1' })
    expect(reply.ok, JSON.stringify(reply)).toBe(true)
    const job = (reply as { value: JobExportResult }).value
    expect(job.outDir.startsWith(join(checkpointDir, 'jobs') + '/')).toBe(true)
    expect(job.step).toBe(0)
    expect(job.runDir && (await readdir(job.runDir))).toContain('checkpoint_step_0.safetensors')
    expect(job.files.map((f) => f.name)).toEqual(expect.arrayContaining(['train.py', 'README.md', 'job.json']))
    const titles = job.commands.map((c) => c.title)
    expect(titles).toEqual(expect.arrayContaining(['One GPU (or one process on a CPU)', 'Several GPUs on one machine', 'Several nodes', 'Slurm']))
    expect(job.commands.flatMap((c) => c.lines).some((line) => line.includes('torchrun --standalone --nproc_per_node'))).toBe(true)
    expect(events.some((e) => e.event === 'jobs.progress' && e.payload.jobId === 'j1')).toBe(true)

    // From that run's checkpoint, into a chosen folder, twice: the second gets the next free name.
    const checkpoint = join(job.runDir!, 'checkpoint_step_0.safetensors')
    const first = await call<JobExportResult>('jobs.export', { checkpoint, outDir: elsewhere })
    const second = await call<JobExportResult>('jobs.export', { checkpoint, outDir: elsewhere })
    expect(first.ok && second.ok).toBe(true)
    const names = (await readdir(elsewhere)).sort()
    expect(names).toEqual([expect.stringMatching(/-checkpoint_step_0-job$/), expect.stringMatching(/-checkpoint_step_0-job-2$/)])
  }, 120_000)

  it('refuses a request naming both or neither, a folder the UI may not write, a checkpoint outside the checkpoint folder', async () => {
    expect(await call('jobs.export', {})).toMatchObject({ ok: false, error: { code: 'invalid-input' } })
    expect(await call('jobs.export', { checkpoint: 'a', folder: corpus })).toMatchObject({ ok: false, error: { code: 'invalid-input' } })
    expect(await call('jobs.export', { checkpoint: join(root, 'x.safetensors') })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await call('jobs.export', { folder: corpus, config: CONFIG, outDir: tmpdir() })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })
})

describe('runs.import', () => {
  async function jobRun(parent: string): Promise<string> {
    const runDir = join(parent, 'out')
    await mkdir(runDir, { recursive: true })
    const checkpoint = makeCheckpoint(TINY, { step: 12 })
    await writeRunJson(runDir, { name: 'out', created: '2026-12-06T10:00:00.000Z', config: checkpoint.metadata.config, corpusFingerprint: 'sha256:abc', job: { host: 'gpu-node-7', device: 'cuda', worldSize: 8 } })
    await appendMetrics(runDir, [{ step: 12, loss: 4.5, lr: 0.001, tokens_per_s: 1e6, time: '2026-12-06T10:05:00.000Z' }])
    await saveCheckpoint(finalModelPath(runDir), checkpoint)
    return runDir
  }

  it('imports a run folder in a chosen folder, with progress, and refuses one the UI may not read', async () => {
    const source = await jobRun(elsewhere)
    const reply = await call<ImportRunResult>('runs.import', { folder: source, importId: 'i1' })
    expect(reply.ok, JSON.stringify(reply)).toBe(true)
    const result = (reply as { value: ImportRunResult }).value
    expect(result.runDir).toBe(join(checkpointDir, 'out'))
    expect(result.imported.trainedOn).toEqual({ host: 'gpu-node-7', device: 'cuda', worldSize: 8 })
    const progress = events.filter((e) => e.event === 'runs.importProgress').map((e) => e.payload as { importId: string; bytesDone: number; bytesTotal: number })
    expect(progress.length).toBeGreaterThan(1)
    expect(progress.every((p) => p.importId === 'i1')).toBe(true)
    expect(progress.at(-1)!.bytesDone).toBe(progress.at(-1)!.bytesTotal)

    const hidden = await jobRun(join(root, 'not-chosen'))
    expect(await call('runs.import', { folder: hidden })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })
})

describe('jobCommands', () => {
  it('takes each section of a README with its indented command lines, and skips sections without any', () => {
    const readme = '# Job\n\n## Install\n\n    pip install -r requirements.txt\n\n## Files\n\ntext only\n\n## Slurm\n\n    #!/bin/bash\n    srun torchrun \\\n        train.py\n'
    expect(jobCommands(readme)).toEqual([
      { title: 'Install', lines: ['pip install -r requirements.txt'] },
      { title: 'Slurm', lines: ['#!/bin/bash', 'srun torchrun \\', '    train.py'] },
    ])
  })
})
