/**
 * The job against the studio, with PyTorch as the other engine: a job exported here and moved
 * elsewhere, run by train.py from another working directory, follows the studio step for step; two
 * ranks under torchrun (gloo) follow one process; checkpoints cross both ways; a job killed while
 * saving resumes from its last complete checkpoint; bad input is refused in one line. A tiny model
 * and 50 steps, so the whole file stays small. Skipped only where no Python has torch (never in CI).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCheckpointInfo, verifyCheckpoint } from '../../../../../../src/main/engine/checkpoints'
import { exportJobFromConfig, type JobFromConfigResult } from '../../../../../../src/main/engine/interchange/job'
import type { RunConfigInput, RunFinished } from '../../../../../../src/shared/training'
import { pythonWithTorch } from '../../../../support/python-torch'
import { lossGap, metricsRecords, steps, studioResume, weightGap } from './parity'
import { torchrun } from './torchrun'
import { workspace, type Workspace } from '../../session/fixtures'

const python = pythonWithTorch()
const STEPS = 50
const CONFIG: RunConfigInput = {
  model: { architecture: 'gpt2', vocabSize: 300, embedDim: 32, numLayers: 2, numHeads: 4, seqLen: 16 },
  training: { tokenizer: 'bpe', batchSize: 4, maxSteps: STEPS, threads: 2, evalInterval: 10, checkpointInterval: 20, keep: 5 },
}

let ws: Workspace
let exported: JobFromConfigResult
let job: string
let jobRuns: string
let elsewhere: string
let studio: RunFinished

function trainPy(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(python!, [join(job, 'train.py'), '--device', 'cpu', '--threads', '1', '--out', jobRuns, ...args], {
    cwd: elsewhere,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  })
}

function mustRun(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const run = trainPy(args, env)
  expect(run.status, `${run.stdout}${run.stderr}`).toBe(0)
  return run.stdout
}

describe.skipIf(python === null)('a job run by train.py (PyTorch) against the studio', () => {
  beforeAll(async () => {
    ws = await workspace(4, 250)
    exported = await exportJobFromConfig({
      folder: ws.corpus,
      config: CONFIG,
      outDir: join(ws.root, 'export', 'job'),
      checkpointDir: ws.checkpoints,
    })
    // The folder moves to another machine: here, another place; train.py runs from a third.
    job = join(ws.root, 'moved', 'job')
    await mkdir(join(ws.root, 'moved'))
    await rename(exported.outDir, job)
    jobRuns = join(ws.root, 'job-runs')
    elsewhere = join(ws.root, 'cwd')
    await mkdir(elsewhere)
    // The studio's own run from the same step-0 checkpoint, uninterrupted.
    studio = await studioResume(ws, STEPS, exported.checkpoint, 'studio')
    mustRun(['--run-name', 'one'])
  }, 240_000)

  afterAll(async () => {
    await ws?.cleanup()
  })

  it('holds the run, and no path of the machine that wrote it', () => {
    expect(readdirSync(job).sort()).toEqual([
      'README.md', 'config.json', 'dataset.json', 'job.json', 'requirements.txt', 'safetensors_io.py',
      'start.safetensors', 'tokenizer.json', 'train.bin', 'train.py', 'val.bin',
    ])
    const forbidden = [ws.root, exported.outDir, exported.runDir, ws.checkpoints, ws.corpus, process.cwd(), homedir()]
    for (const file of readdirSync(job)) {
      const text = readFileSync(join(job, file)).toString('latin1')
      for (const path of forbidden) expect(text.includes(path), `${file} contains ${path}`).toBe(false)
    }
    const info = JSON.parse(readFileSync(join(job, 'job.json'), 'utf8'))
    expect(info.parent).toMatchObject({ runDir: null, runName: basename(exported.runDir), checkpoint: 'checkpoint_step_0.safetensors', step: 0 })
  })

  it('one process follows the studio step for step (losses within 1e-4 for 50 steps, weights within float32 noise)', async () => {
    const one = join(jobRuns, 'one')
    const gap = lossGap(studio.runDir!, one, steps(1, STEPS))
    const weights = await weightGap(join(studio.runDir!, 'final_model.safetensors'), join(one, 'final_model.safetensors'))
    console.log(`job vs studio over ${STEPS} steps: max |Δloss| ${gap.toExponential(2)}; max |Δweight| ${weights.params.toExponential(2)} (|w| ≤ ${weights.scale.toFixed(2)}); max |Δmoment| ${weights.moments.toExponential(2)}`)
    expect(gap).toBeLessThan(1e-4)
    expect(weights.params).toBeLessThan(1e-4)
    expect(await verifyCheckpoint(join(one, 'final_model.safetensors'))).toMatchObject({ status: 'ok' })
    // Its run folder is the studio's format, with the studio's run as its parent.
    const run = JSON.parse(readFileSync(join(one, 'run.json'), 'utf8'))
    expect(run.parent).toMatchObject({ runName: info().parent.runName, checkpoint: 'checkpoint_step_0.safetensors', step: 0 })
    expect(run.ended).toMatchObject({ reason: 'completed', step: STEPS })
    expect(readdirSync(one).filter((f) => f.endsWith('.safetensors')).sort()).toEqual([
      'checkpoint_step_20.safetensors', 'checkpoint_step_40.safetensors', 'final_model.safetensors',
    ])
    expect(Object.keys(metricsRecords(one)[1])).toEqual(Object.keys(metricsRecords(studio.runDir!)[1]))
  })

  it('two ranks under torchrun (gloo), each accumulating its share in micro-batches, follow one process (losses within 1e-5)', () => {
    const run = torchrun(python!, 2, join(job, 'train.py'), ['--device', 'cpu', '--threads', '1', '--out', jobRuns, '--run-name', 'ddp', '--stop-after', '10', '--micro-batch', '1'], elsewhere)
    expect(run.status, run.output).toBe(0)
    expect(run.stdout).toContain('2 process(es) on cpu')
    const gap = lossGap(join(jobRuns, 'one'), join(jobRuns, 'ddp'), steps(1, 10))
    console.log(`torchrun 2 ranks × 2 micro-batches of 1 window vs 1 process over 10 steps: max |Δloss| ${gap.toExponential(2)}`)
    expect(gap).toBeLessThan(1e-5)
    const ended = JSON.parse(readFileSync(join(jobRuns, 'ddp', 'run.json'), 'utf8')).ended
    expect(ended).toMatchObject({ reason: 'stopped', step: 10 })
    expect(readdirSync(join(jobRuns, 'ddp'))).toContain('checkpoint_step_10.safetensors')
  }, 660_000) // torchrun's own limit (torchrun.ts) and then some

  it("the studio resumes a job's checkpoint, and train.py resumes the studio's, each as the uninterrupted run", async () => {
    const back = await studioResume(ws, STEPS, join(jobRuns, 'one', 'checkpoint_step_20.safetensors'), 'back-here')
    const there = mustRun(['--resume', join(studio.runDir!, 'checkpoint_step_20.safetensors'), '--run-name', 'from-studio'])
    expect(there).toContain('steps 20 → 50')
    const fromStudio = join(jobRuns, 'from-studio')
    const gaps = {
      studioFromJob: lossGap(studio.runDir!, back.runDir!, steps(21, STEPS)),
      jobFromStudio: lossGap(join(jobRuns, 'one'), fromStudio, steps(21, STEPS)),
    }
    const weights = {
      studioFromJob: await weightGap(join(studio.runDir!, 'final_model.safetensors'), join(back.runDir!, 'final_model.safetensors')),
      jobFromStudio: await weightGap(join(jobRuns, 'one', 'final_model.safetensors'), join(fromStudio, 'final_model.safetensors')),
    }
    console.log(`studio resuming the job's step 20: |Δloss| ${gaps.studioFromJob.toExponential(2)}, |Δweight| ${weights.studioFromJob.params.toExponential(2)}; job resuming the studio's step 20: |Δloss| ${gaps.jobFromStudio.toExponential(2)}, |Δweight| ${weights.jobFromStudio.params.toExponential(2)}`)
    expect(gaps.studioFromJob).toBeLessThan(1e-4)
    expect(gaps.jobFromStudio).toBeLessThan(1e-4)
    expect(weights.studioFromJob.params).toBeLessThan(1e-4)
    expect(weights.jobFromStudio.params).toBeLessThan(1e-4)
    const run = JSON.parse(readFileSync(join(fromStudio, 'run.json'), 'utf8'))
    expect(run.parent).toMatchObject({ runName: 'studio', step: 20 })
  }, 120_000)

  it('a job killed during a save resumes from its last complete checkpoint, exactly', async () => {
    const marker = join(ws.root, 'saving-40')
    const child = spawn(python!, [join(job, 'train.py'), '--device', 'cpu', '--threads', '1', '--out', jobRuns, '--run-name', 'killed'], {
      cwd: elsewhere,
      env: { ...process.env, CLLM_JOB_TEST_HOLD_SAVE: marker, CLLM_JOB_TEST_HOLD_STEP: '40' },
      stdio: 'ignore',
    })
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)))
    // The job parks half-way through writing checkpoint_step_40 and says so in the marker file.
    await new Promise<void>((ready, fail) => {
      const poll = setInterval(() => {
        if (existsSync(marker) && statSync(marker).size > 0) {
          clearInterval(poll)
          ready()
        } else if (child.exitCode !== null) {
          clearInterval(poll)
          fail(new Error(`train.py ended (${child.exitCode}) before its save`))
        }
      }, 50)
    })
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    const killed = join(jobRuns, 'killed')
    const files = readdirSync(killed)
    expect(files).toContain('checkpoint_step_20.safetensors')
    expect(files).not.toContain('checkpoint_step_40.safetensors')
    expect(files.some((f) => f.startsWith('checkpoint_step_40.safetensors.tmp-'))).toBe(true)

    mustRun(['--resume', killed, '--run-name', 'after-kill'])
    const resumed = await readCheckpointInfo(join(jobRuns, 'after-kill', 'final_model.safetensors'))
    const whole = await readCheckpointInfo(join(jobRuns, 'one', 'final_model.safetensors'))
    expect(resumed.metadata.step).toBe(STEPS)
    expect(resumed.checksum).toBe(whole.checksum) // the same bytes: weights and moments
    expect(JSON.parse(readFileSync(join(jobRuns, 'after-kill', 'run.json'), 'utf8')).parent.step).toBe(20)
  }, 120_000)

  it('a Python without torch is told so in one line, with the install command', async () => {
    const fake = join(ws.root, 'no-torch', 'torch')
    await mkdir(fake, { recursive: true })
    await writeFile(join(fake, '__init__.py'), 'raise ImportError("No module named torch")\n')
    const run = trainPy([], { PYTHONPATH: join(ws.root, 'no-torch') })
    expect(run.status).toBe(2)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/^Error: this job needs PyTorch .*pip install -r requirements\.txt/)
  })

  it('a world size that does not divide the batch is refused before any work', () => {
    const out = join(ws.root, 'never')
    const run = spawnSync(python!, [join(job, 'train.py'), '--device', 'cpu', '--out', out], {
      cwd: elsewhere,
      encoding: 'utf8',
      env: { ...process.env, RANK: '0', LOCAL_RANK: '0', WORLD_SIZE: '3' },
      timeout: 60_000,
    })
    expect(run.status).toBe(2)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toContain('the global batch of 4 windows cannot be split evenly over 3 processes')
    expect(existsSync(out)).toBe(false)
  })
})

function info(): { parent: { runName: string } } {
  return JSON.parse(readFileSync(join(job, 'job.json'), 'utf8'))
}
