/**
 * A run never changes after it ends: resuming (plain, concurrent, extending, stopped, killed) always
 * writes a new child run, and every file of the parent keeps its SHA-256. The child's history is the
 * parent's up to the resume step, then its own, each step once.
 */
import { spawn } from 'node:child_process'
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, type SessionOptions } from '../../../../../src/main/engine/session'
import {
  acquireRunLock,
  describeRunSummary,
  listRunSummaries,
  readRunLock,
  runHistory,
  sha256File,
} from '../../../../../src/main/engine/runs'
import { loadCheckpoint, readMetrics, readRunJson } from '../../../../../src/main/engine/checkpoints'
import type { RunConfigInput, RunFinished } from '../../../../../src/shared/training'
import { lineageText } from '../../../../../src/shared/runs'
import { workspace, type Workspace } from '../session/fixtures'

let ws: Workspace
const N = 8

function config(extra: RunConfigInput['training'] = {}, paths: RunConfigInput['paths'] = {}): RunConfigInput {
  return {
    model: { vocabSize: 64, embedDim: 16, numLayers: 1, numHeads: 2, seqLen: 8 },
    training: { tokenizer: 'word', threads: 1, maxSteps: 2 * N, evalInterval: 4, checkpointInterval: 4, batchSize: 2, ...extra },
    paths: { checkpointDir: ws.checkpoints, ...paths },
  }
}

async function train(options: Omit<SessionOptions, 'folder'>): Promise<RunFinished> {
  const session = await createSession({ folder: ws.corpus, sample: false, ...options })
  return session.run()
}

/** SHA-256 of every file in a folder (recursively), by relative path. */
async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out[path.slice(dir.length + 1)] = await sha256File(path)
  }
  return out
}

function stepsOf(records: Array<{ step: number }>): number[] {
  return records.map((r) => r.step)
}

let parentDir: string
let stoppedAt: string
let finalModel: string
let before: Record<string, string>

beforeAll(async () => {
  ws = await workspace(3, 120)
  const stopped = await train({ config: config({}, { runName: 'parent' }), stopAtStep: N })
  expect(stopped, stopped.message).toMatchObject({ reason: 'stopped', step: N })
  stoppedAt = stopped.checkpoint!
  parentDir = dirname(stoppedAt)
  const done = await train({ config: config({}, { runName: 'finished' }) })
  expect(done.reason, done.message).toBe('completed')
  finalModel = done.checkpoint!
  before = { ...(await hashes(parentDir)), ...prefix(await hashes(dirname(finalModel)), 'finished/') }
})
afterAll(async () => {
  await ws?.cleanup()
})

function prefix(record: Record<string, string>, p: string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [p + k, v]))
}

async function expectParentsUnchanged(): Promise<void> {
  const now = { ...(await hashes(parentDir)), ...prefix(await hashes(dirname(finalModel)), 'finished/') }
  expect(now).toEqual(before)
}

describe('resume creates a child run', () => {
  it('writes a new folder beside the parent that records its lineage, and leaves the parent byte-identical', async () => {
    const finished = await train({ resume: stoppedAt, config: { training: { threads: 1 } } })
    expect(finished, finished.message).toMatchObject({ reason: 'completed', step: 2 * N })
    const child = finished.runDir!
    expect(dirname(child)).toBe(ws.checkpoints)
    expect(basename(child)).toBe(`parent-from-${N}`)
    expect(finished.checkpoint).toBe(join(child, 'final_model.safetensors'))
    const info = (await readRunJson(child)) as Record<string, unknown>
    expect(info.parent).toEqual({ runDir: parentDir, runName: 'parent', checkpoint: stoppedAt, step: N, sha256: before[basename(stoppedAt)] })
    expect(info.ended).toMatchObject({ reason: 'completed', step: 2 * N })
    // The child's config names the child, not the parent it came from; its listing says where it came from.
    expect((info.config as { paths: { runName?: string } }).paths.runName).toBe(`parent-from-${N}`)
    const listed = await describeRunSummary(child)
    expect(lineageText(listed)).toBe(`resumed from parent at step ${N}`)
    expect(await readRunLock(child)).toBeNull()
    await expectParentsUnchanged()

    // The whole history: the parent's steps 0…N, then the child's N+1…2N, each once.
    const history = await runHistory(child)
    expect(stepsOf(history.records)).toEqual(Array.from({ length: 2 * N + 1 }, (_, i) => i))
    expect(history.records.filter((r) => r.step <= N).every((r) => r.run === parentDir)).toBe(true)
    expect(history.records.filter((r) => r.step > N).every((r) => r.run === child)).toBe(true)
    expect(history.segments.map((s) => [s.name, s.toStep])).toEqual([['parent', N], [`parent-from-${N}`, 2 * N]])
    expect((await describeRunSummary(child)).status).toBe('done')

    // The reported training loss is the mean of the last steps (here all 2N: fewer than the window), not one batch's.
    const losses = history.records.filter((r) => r.step > 0).map((r) => r.loss!)
    const mean = losses.reduce((x, y) => x + y, 0) / losses.length
    expect(finished.trainLossWindow).toBe(2 * N)
    expect(finished.trainLoss).toBeCloseTo(mean, 10)
    expect(finished.trainLoss).not.toBe(losses.at(-1))
    const summary = await describeRunSummary(child)
    expect(summary.checkpoints.find((c) => c.kind === 'final')!.trainLoss).toBeCloseTo(mean, 10)
  })

  it('two concurrent resumes of one checkpoint give two complete, independent children', async () => {
    const [a, b] = await Promise.all([
      train({ resume: stoppedAt, config: { training: { threads: 1 } } }),
      train({ resume: stoppedAt, config: { training: { threads: 1 } } }),
    ])
    expect([a.reason, b.reason]).toEqual(['completed', 'completed'])
    expect(a.runDir).not.toBe(b.runDir)
    for (const run of [a, b]) {
      const own = (await readMetrics(run.runDir!)).records
      expect(stepsOf(own)).toEqual(Array.from({ length: N }, (_, i) => N + i + 1))
      expect(await readdir(run.runDir!)).toContain('final_model.safetensors')
    }
    // Same start, same data order: the two children's weights agree bit for bit.
    const [wa, wb] = await Promise.all([loadCheckpoint(a.checkpoint!), loadCheckpoint(b.checkpoint!)])
    const bytes = (t: { data: Float32Array }) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
    wa.state.params.forEach((tensor, i) => expect(bytes(tensor).equals(bytes(wb.state.params[i])), tensor.name).toBe(true))
    await expectParentsUnchanged()
  })

  it('extends a finished run: the extra steps hold the rate of its last step', async () => {
    const finished = await train({ resume: finalModel, config: { training: { threads: 1, maxSteps: 2 * N + 4 } } })
    expect(finished, finished.message).toMatchObject({ reason: 'completed', step: 2 * N + 4 })
    expect(basename(finished.runDir!)).toBe(`finished-from-${2 * N}`)
    const parentLr = (await readMetrics(dirname(finalModel))).records.at(-1)!.lr
    const extra = (await readMetrics(finished.runDir!)).records
    expect(stepsOf(extra)).toEqual([2 * N + 1, 2 * N + 2, 2 * N + 3, 2 * N + 4])
    for (const record of extra) expect(record.lr).toBe(parentLr)
    await expectParentsUnchanged()
  })

  it('a stopped resume is a stopped child; a named --checkpoint-dir receives it; loose checkpoints stay alone', async () => {
    const loose = join(ws.root, 'loose')
    await mkdir(loose)
    const file = join(loose, 'model.safetensors')
    await copyFile(stoppedAt, file)
    const elsewhere = join(ws.root, 'elsewhere')
    const finished = await train({ resume: file, config: { training: { threads: 1 }, paths: { checkpointDir: elsewhere } }, stopAtStep: N + 2 })
    expect(finished).toMatchObject({ reason: 'stopped', step: N + 2 })
    expect(dirname(finished.runDir!)).toBe(elsewhere)
    expect(basename(finished.runDir!)).toBe(`model-from-${N}`)
    expect(await readdir(loose)).toEqual(['model.safetensors'])
    const summary = await describeRunSummary(finished.runDir!)
    expect(summary).toMatchObject({ status: 'stopped', parent: { runDir: null, step: N } })
    await expectParentsUnchanged()
  })
})

describe('a killed run', () => {
  it('is interrupted, its lock refuses a second writer while alive and is taken over after SIGKILL', async () => {
    const script = join(ws.root, 'resume-forever.mjs')
    const session = pathToFileURL(resolve('src/main/engine/session.ts')).href
    await writeFile(
      script,
      `const { createSession } = await import(${JSON.stringify(session)})
const s = await createSession({ folder: ${JSON.stringify(ws.corpus)}, sample: false, resume: ${JSON.stringify(stoppedAt)},
  config: { training: { threads: 1, maxSteps: 1000000, evalInterval: 1000000, checkpointInterval: 0 } } })
s.on((e) => { if (e.event === 'training.progress' && e.payload.step > ${N + 3}) console.log('RUNNING') })
await s.run()
`,
    )
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    await new Promise<void>((ready, fail) => {
      child.stdout.on('data', (chunk) => String(chunk).includes('RUNNING') && ready())
      child.on('exit', () => fail(new Error(`exited early: ${stderr}`)))
    })
    const listing = await listRunSummaries(ws.checkpoints)
    const running = listing.runs.find((run) => run.status === 'running')!
    expect(running, JSON.stringify(listing.runs.map((r) => [r.name, r.status]))).toBeDefined()
    expect(running.pid).toBe(child.pid)
    await expect(acquireRunLock(running.path)).rejects.toThrow(/being written by process \d+.*second writer is refused/)

    const exited = new Promise((done) => child.on('exit', done))
    child.kill('SIGKILL')
    await exited
    expect((await describeRunSummary(running.path)).status).toBe('interrupted')
    const taken = await acquireRunLock(running.path)
    expect(JSON.parse(await readFile(join(running.path, 'run.lock'), 'utf8')).pid).toBe(process.pid)
    await taken.release()
    expect(await readRunLock(running.path)).toBeNull()
    await expectParentsUnchanged()
  })
})
