/**
 * Bringing a run back (`cllm runs import`): a run folder trained elsewhere is checked whole and
 * copied into the checkpoint folder as a new run, or refused with its reason and nothing copied.
 *
 * The run "from elsewhere" is made by the studio itself: a parent trained here to step N, resumed
 * into another folder (as a job exported from that checkpoint would continue it), and its run.json
 * rewritten as a job's train.py writes it — no absolute path of the other machine, the parent by name
 * and file, and where it ran (`trainedOn`).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { appendFile, cp, mkdir, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, type SessionOptions } from '../../../../../src/main/engine/session'
import { importRun, listRunSummaries, runHistory, sha256File } from '../../../../../src/main/engine/runs'
import { exportGguf, exportHuggingFace, readRunJson } from '../../../../../src/main/engine/checkpoints'
import { evaluateTexts, generateFromCheckpoint, openCheckpointModel } from '../../../../../src/main/engine/session/from-checkpoint'
import type { RunConfigInput, RunFinished } from '../../../../../src/shared/training'
import { UserError } from '../../../../../src/shared/errors'
import { workspace, type Workspace } from '../session/fixtures'

let ws: Workspace
const N = 4
let parentDir: string
let jobRun: string
let fixtureCount = 0

function config(checkpointDir: string, runName?: string): RunConfigInput {
  return {
    model: { vocabSize: 300, embedDim: 16, numLayers: 1, numHeads: 2, seqLen: 8 },
    training: { tokenizer: 'bpe', threads: 1, maxSteps: 2 * N, evalInterval: N, checkpointInterval: N, batchSize: 2 },
    paths: { checkpointDir, ...(runName ? { runName } : {}) },
  }
}

async function train(options: Omit<SessionOptions, 'folder'>): Promise<RunFinished> {
  return (await createSession({ folder: ws.corpus, sample: false, ...options })).run()
}

/** Every entry below a folder with its SHA-256 (files) or kind, by relative path. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    out[path.slice(dir.length + 1)] = entry.isFile() ? await sha256File(path) : entry.isDirectory() ? 'dir' : 'other'
  }
  return out
}

/** A fresh copy of the job's run folder to change, outside the checkpoint folder. */
async function jobCopy(name = 'job-out'): Promise<string> {
  const dir = join(ws.root, `source-${++fixtureCount}`, name)
  await mkdir(dirname(dir), { recursive: true })
  await cp(jobRun, dir, { recursive: true })
  return dir
}

async function editRunJson(dir: string, change: (info: Record<string, unknown>) => void): Promise<void> {
  const info = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>
  change(info)
  await writeFile(join(dir, 'run.json'), JSON.stringify(info, null, 2))
}

/** Expects the import to be refused with `reason` in its message, and the checkpoint folder untouched. */
async function expectRefused(source: string, reason: RegExp, checkpointDir = ws.checkpoints): Promise<void> {
  const before = await snapshot(checkpointDir)
  const error = await importRun({ source, checkpointDir }).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserError)
  expect((error as Error).message).toMatch(/^Not imported: /)
  expect((error as Error).message).toMatch(reason)
  expect((error as Error).message).toMatch(/Nothing was copied/)
  expect(await snapshot(checkpointDir)).toEqual(before)
}

beforeAll(async () => {
  ws = await workspace(3, 120)
  const stopped = await train({ config: config(ws.checkpoints, 'parent'), stopAtStep: N })
  expect(stopped, stopped.message).toMatchObject({ reason: 'stopped', step: N })
  parentDir = dirname(stopped.checkpoint!)
  // "Elsewhere": the run continued in another folder, as the job would on a GPU machine.
  const elsewhere = join(ws.root, 'gpu-box')
  const child = await train({ resume: stopped.checkpoint!, config: { ...config(elsewhere), model: undefined } })
  expect(child, child.message).toMatchObject({ reason: 'completed', step: 2 * N })
  jobRun = child.runDir!
  // As train.py writes it: no path of the machine that wrote it, the parent by name, where it ran.
  await editRunJson(jobRun, (info) => {
    const parent = info.parent as Record<string, unknown>
    info.parent = { ...parent, runDir: null, checkpoint: basename(parent.checkpoint as string) }
    delete info.corpusFolder
    info.trainedOn = { host: 'gpu-node-7', device: 'cuda:0 (NVIDIA H100)', worldSize: 2 }
  })
}, 120_000)
afterAll(async () => {
  await ws?.cleanup()
})

describe('importing a run trained elsewhere', () => {
  it('copies it as a new run marked as imported, finds its parent here and leaves the source as it was', async () => {
    const source = await jobCopy('parent-from-4')
    const before = await snapshot(source)
    const progress: number[] = []
    const result = await importRun({ source, checkpointDir: ws.checkpoints, onProgress: (p) => progress.push(p.bytesDone / p.bytesTotal) })
    expect(result.name).toBe('parent-from-4')
    expect(result.runDir).toBe(join(ws.checkpoints, 'parent-from-4'))
    expect(result.parentDir).toBe(parentDir)
    expect(result.warnings).toEqual([])
    expect(result.checkpoints).toBeGreaterThanOrEqual(1)
    expect(result.step).toBe(2 * N)
    expect(progress.at(-1)).toBe(1)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    expect(await snapshot(source)).toEqual(before)

    // Every file byte for byte, except run.json, which now records the import and the local parent.
    const copied = await snapshot(result.runDir)
    const { 'run.json': _ignored, ...rest } = before
    expect(copied).toMatchObject(rest)
    expect(Object.keys(copied).sort()).toEqual(Object.keys(before).sort())
    const info = (await readRunJson(result.runDir)) as Record<string, unknown>
    expect(info.name).toBe('parent-from-4')
    expect(info.corpusFolder).toBe(ws.corpus) // the parent's, so that Resume offers it
    expect(info.imported).toMatchObject({ from: source, trainedOn: { host: 'gpu-node-7', device: 'cuda:0 (NVIDIA H100)', worldSize: 2 } })
    expect((info.imported as { parentAsRecorded: { runDir: unknown } }).parentAsRecorded.runDir).toBeNull()
    expect(info.parent).toMatchObject({ runDir: parentDir, runName: 'parent', checkpoint: join(parentDir, `checkpoint_step_${N}.safetensors`), step: N })

    // Then it is a run like any other: listed, done, its history the parent's steps then its own.
    const listed = (await listRunSummaries(ws.checkpoints)).runs.find((r) => r.path === result.runDir)!
    expect(listed.status).toBe('done')
    expect(listed.imported?.trainedOn?.device).toBe('cuda:0 (NVIDIA H100)')
    expect(listed.parent?.runDir).toBe(parentDir)
    const history = await runHistory(result.runDir)
    expect(history.problem).toBeUndefined()
    expect(history.records.map((r) => r.step)).toEqual(Array.from({ length: 2 * N + 1 }, (_, i) => i))
    expect(history.records.filter((r) => r.step <= N).every((r) => r.run === parentDir)).toBe(true)
    expect(history.segments).toEqual([
      { runDir: parentDir, name: 'parent', fromStep: 0, toStep: N },
      { runDir: result.runDir, name: 'parent-from-4', fromStep: N, toStep: 2 * N, elsewhere: { trainedOn: { host: 'gpu-node-7', device: 'cuda:0 (NVIDIA H100)', worldSize: 2 } } },
    ])

    // A second import of the same folder gets the next free name; the first is not touched.
    const again = await importRun({ source, checkpointDir: ws.checkpoints })
    expect(again.name).toBe('parent-from-4-2')
    expect(await snapshot(result.runDir)).toEqual(copied)
    expect(await readdir(join(ws.checkpoints, '.import'))).toEqual([])
  })

  it('resumes on this CPU, exports (Hugging Face, GGUF), generates and evaluates like a run trained here', async () => {
    const imported = await importRun({ source: await jobCopy('to-resume'), checkpointDir: ws.checkpoints })
    const final = join(imported.runDir, 'final_model.safetensors')
    const resumed = await train({ resume: final, config: { training: { threads: 1, maxSteps: 2 * N + 2 } } })
    expect(resumed, resumed.message).toMatchObject({ reason: 'completed', step: 2 * N + 2 })
    expect(dirname(resumed.runDir!)).toBe(ws.checkpoints)
    const history = await runHistory(resumed.runDir!)
    expect(history.segments.map((s) => [s.name, s.toStep, s.elsewhere !== undefined])).toEqual([
      ['parent', N, false],
      ['to-resume', 2 * N, true],
      [basename(resumed.runDir!), 2 * N + 2, false],
    ])
    const exported = await exportHuggingFace(final, join(ws.root, 'hf-of-imported'))
    expect(exported.files.map((f) => f.name)).toContain('model.safetensors')
    const gguf = await exportGguf(final, join(ws.root, 'imported.gguf'))
    expect(gguf.bytes).toBeGreaterThan(0)
    // Generate and evaluate with it, as the Generate view and Evaluate do.
    const model = await openCheckpointModel(final)
    try {
      const generated = await generateFromCheckpoint(model, { prompt: 'The cat', maxTokens: 5, temperature: 0 })
      expect(generated.tokens).toHaveLength(5)
      const scored = await evaluateTexts(model, [await readFile(join(ws.corpus, 'doc0.txt'), 'utf8')])
      expect(scored.perplexity).toBeCloseTo(Math.exp(scored.loss), 10)
      expect(Number.isFinite(scored.loss)).toBe(true)
    } finally {
      await model.close()
    }
  }, 60_000)

  it('imports a run whose parent is not here, says so, and its history starts at the hand-off', async () => {
    const elsewhere = join(ws.root, 'empty-checkpoints')
    const result = await importRun({ source: await jobCopy(), checkpointDir: elsewhere })
    expect(result.parentDir).toBeNull()
    expect(result.warnings.join(' ')).toMatch(/parent run parent is not in .*history starts at step 4/)
    const history = await runHistory(result.runDir)
    expect(history.problem).toMatch(/before step 4 is missing/)
    expect(history.records[0].step).toBe(N + 1)
  })

  it('removes what an import killed mid-copy left in .import/, never one still in progress', async () => {
    const here = join(ws.root, 'killed-import-checkpoints')
    const dead = spawnSync('true').pid! // a process that has ended
    const left = join(here, '.import', `${dead}-0123456789ab`)
    const live = join(here, '.import', `${process.pid}-ba9876543210`)
    await mkdir(left, { recursive: true })
    await mkdir(live, { recursive: true })
    await writeFile(join(left, 'final_model.safetensors'), 'half')
    await importRun({ source: await jobCopy(), checkpointDir: here })
    expect((await readdir(join(here, '.import'))).sort()).toEqual([basename(live)])
  })

  it('does not copy a writer lock, the leftovers of an interrupted write or a hidden file, and says so', async () => {
    const source = await jobCopy()
    await writeFile(join(source, 'run.lock'), JSON.stringify({ pid: 1, host: 'gpu-node-7', processStarted: new Date().toISOString(), acquired: new Date().toISOString() }))
    await writeFile(join(source, `checkpoint_step_8.safetensors.tmp-99999-0123456789ab`), 'half')
    await writeFile(join(source, '.DS_Store'), 'finder')
    const result = await importRun({ source, checkpointDir: join(ws.root, 'lock-test') })
    expect(result.warnings.join('\n')).toMatch(/not copied: run.lock/)
    expect(result.warnings.join('\n')).toMatch(/not copied: checkpoint_step_8.safetensors.tmp-/)
    const names = await readdir(result.runDir)
    expect(names).not.toContain('run.lock')
    expect(names.some((n) => n.includes('.tmp-'))).toBe(false)
    expect(result.warnings.join('\n')).toMatch(/not copied: \.DS_Store \(a hidden file/)
    expect(names).not.toContain('.DS_Store')
  })
})

describe('refusals name the reason and copy nothing', () => {
  it('a symbolic link inside the folder', async () => {
    const source = await jobCopy()
    await symlink('/etc/passwd', join(source, 'notes.json'))
    await expectRefused(source, /notes\.json is a symbolic link/)
  })

  it('a symbolic link in place of a checkpoint, even one pointing into the folder', async () => {
    const source = await jobCopy()
    await symlink(join(source, 'final_model.safetensors'), join(source, 'checkpoint_step_99.safetensors'))
    await expectRefused(source, /checkpoint_step_99\.safetensors is a symbolic link/)
  })

  it('a FIFO', async () => {
    const source = await jobCopy()
    execFileSync('mkfifo', [join(source, 'train.log')])
    await expectRefused(source, /train\.log is a named pipe \(FIFO\)/)
  })

  it('a folder inside', async () => {
    const source = await jobCopy()
    await mkdir(join(source, 'extra'))
    await expectRefused(source, /extra is a folder/)
  })

  it('a file that changes after it was checked (the copy is compared with what was checked)', async () => {
    const source = await jobCopy()
    const here = join(ws.root, 'changed-checkpoints')
    await mkdir(here)
    let changed = false
    const error = await importRun({
      source,
      checkpointDir: here,
      onProgress: (p) => {
        // The first byte copied: metrics.jsonl (copied later) gets one more line now.
        if (p.phase === 'copying' && !changed) {
          changed = true
          appendFileSync(join(source, 'metrics.jsonl'), JSON.stringify({ step: 99, loss: 1, lr: 0, tokens_per_s: 0, time: new Date().toISOString() }) + '\n')
        }
      },
    }).then(
      () => null,
      (e: Error) => e,
    )
    expect(changed).toBe(true)
    expect(error?.message).toMatch(/^Not imported: metrics\.jsonl changed while it was being imported\. Nothing was copied/)
    expect(await snapshot(here)).toEqual({ '.import': 'dir' })
  })

  it('a torn checkpoint', async () => {
    const source = await jobCopy()
    const file = join(source, 'final_model.safetensors')
    const { size } = await stat(file)
    await truncate(file, Math.floor(size / 2))
    await expectRefused(source, /checkpoint final_model\.safetensors does not verify/)
  })

  it('a torn run.json', async () => {
    const source = await jobCopy()
    const text = await readFile(join(source, 'run.json'), 'utf8')
    await writeFile(join(source, 'run.json'), text.slice(0, text.length / 2))
    await expectRefused(source, /run\.json is not valid JSON/)
  })

  it('a torn metrics line', async () => {
    const source = await jobCopy()
    await appendFile(join(source, 'metrics.jsonl'), '{"step": 9, "loss": 2.')
    await expectRefused(source, /metrics\.jsonl line \d+ is not a metrics record \(the file ends in a torn line\)/)
  })

  it('a config in run.json that contradicts its checkpoints', async () => {
    const source = await jobCopy()
    await editRunJson(source, (info) => {
      const config = info.config as { training: Record<string, unknown> }
      config.training.learningRate = 0.5
    })
    await expectRefused(source, /the config contradicts itself: "config\.training\.learningRate" in run\.json is not the one in (checkpoint_step_\d+|final_model)\.safetensors/)
  })

  it('a model that contradicts the parent of that name here', async () => {
    const source = await jobCopy()
    const here = join(ws.root, 'other-checkpoints')
    await mkdir(join(here, 'parent'), { recursive: true })
    const info = JSON.parse(await readFile(join(parentDir, 'run.json'), 'utf8')) as { config: { model: { dModel: number; nHeads: number } } }
    info.config.model.dModel = 32
    await writeFile(join(here, 'parent', 'run.json'), JSON.stringify(info))
    await expectRefused(source, /the config contradicts its parent: "config\.model\.dModel"/, here)
  })

  it('a parent here whose checkpoint is not the file the run continues', async () => {
    const source = await jobCopy()
    const here = join(ws.root, 'impostor-checkpoints')
    await cp(parentDir, join(here, 'parent'), { recursive: true })
    // Same name, same model, but another file at that step (its hash differs).
    await writeFile(join(here, 'parent', `checkpoint_step_${N}.safetensors`), 'not the same bytes')
    await expectRefused(source, /parent's checkpoint parent\/checkpoint_step_4\.safetensors .* is not the file it continues/, here)
  })

  it('a run folder with no checkpoint, a file of another name, and a folder already in the checkpoint folder', async () => {
    const empty = await jobCopy()
    for (const name of await readdir(empty)) if (name.endsWith('.safetensors')) await rm(join(empty, name))
    await expectRefused(empty, /it holds no checkpoint/)
    const odd = await jobCopy()
    await writeFile(join(odd, 'weights.safetensors'), 'x')
    await expectRefused(odd, /weights\.safetensors is not a checkpoint name the studio writes/)
    await expectRefused(parentDir, /it is already a run in the checkpoint folder/)
    await expectRefused(ws.root, /it holds the checkpoint folder/)
  })
})
