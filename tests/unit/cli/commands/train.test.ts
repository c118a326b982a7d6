import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Command } from 'commander'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { configFromFlags, register, train, withFlagNames } from '../../../../src/cli/commands/train'
import { UserError } from '../../../../src/shared/errors'
import { DEFAULT_ARCHITECTURE, architectureField, trainingEvents, type TrainingEventName } from '../../../../src/shared/training'
import { workspace, type Workspace } from '../../main/engine/session/fixtures'
import { capture } from './cli-fixtures'

let ws: Workspace
beforeAll(async () => {
  ws = await workspace(4, 250)
})
afterAll(async () => {
  await ws.cleanup()
})
afterEach(() => {
  vi.restoreAllMocks()
})

// The family these tests read (GPT-2's parameter count and wording), named rather than left to the default.
const tiny = () => ({
  arch: 'gpt2' as const,
  vocabSize: 64,
  embedDim: 32,
  numLayers: 1,
  numHeads: 2,
  seqLen: 16,
  tokenizer: 'word' as const,
  threads: 2,
  checkpointDir: ws.checkpoints,
})

describe('cllm train', () => {
  it('prints the config with the parameter count, progress lines, the sphere table and a sample', async () => {
    const io = capture()
    const finished = await train(ws.corpus, { ...tiny(), maxSteps: 30, evalInterval: 10, runName: 'text' }, io)
    const out = io.stdout()
    expect(finished).toMatchObject({ state: 'done', reason: 'completed', step: 30 })
    expect(out).toMatch(/^Model {7}GPT-2 style: vocab \d+, embed 32, 1 layer, 2 heads, seq 16 — [\d,]+ parameters$/m)
    expect(out).toMatch(/^Training {4}batch 4, learning rate 0\.001 /m)
    expect(out).toMatch(/30 steps \(--max-steps; \d+ steps per epoch\) on 2 threads/)
    expect(out).toMatch(/^Data {8}Split by blocks of ~4 KiB: training \d+ files?, .+ \(\d+\.\d %\); validation \d+ files?, .+ \(\d+\.\d %\)$/m)
    for (const step of [10, 20, 30]) {
      expect(out).toMatch(new RegExp(`^step ${step}/30  epoch \\d\\.\\d\\d/\\d\\.\\d\\d  loss \\d+\\.\\d{4}  val \\d+\\.\\d{4}  lr \\S+  [\\d,]+ tok/s  ETA \\d+:\\d\\d$`, 'm'))
    }
    // 30 steps are a fraction of an epoch: the summary says how much, never "epoch 1/1".
    expect(out).toMatch(/^Epoch 1 \(0\.\d\d of it\): mean loss over the epoch \d+\.\d{4}, validation loss \d+\.\d{4} at step 30, .* tok\/s over its training steps$/m)
    expect(out).toMatch(/^Done: 30 steps \(0\.\d\d epochs\) in \d+:\d\d, training loss \d+\.\d{4} \(mean of the last 30 steps\), validation loss \d+\.\d{4} at step 30\.$/m)
    expect(out).toMatch(/^Speed: [\d,]+ tok\/s, run average over \d+\.\d s of training steps; evaluation \d+\.\d s and checkpoints \d+\.\d s on top\.$/m)
    expect(out).toMatch(/^ {2}Sphere {2}0 \(group {2}0\): 30 batches, \d+\.\d% busy, /m)
    expect(out).toMatch(/^ {2}Sphere {2}1 \(group {2}1\): 30 batches, /m)
    expect(out).toContain(`Final model ${join(ws.checkpoints, 'text', 'final_model.safetensors')}`)
    expect(out).toMatch(/^Sample:\n.+/m)
    expect(existsSync(join(ws.checkpoints, 'text', 'final_model.safetensors'))).toBe(true)
  })

  it('prints one JSON event per line with --json, and resumes to --max-steps as the total', async () => {
    const first = capture()
    const stopped = await train(ws.corpus, { ...tiny(), maxSteps: 20, json: true, runName: 'json' }, first, {
      session: { stopAtStep: 10 },
    })
    expect(stopped).toMatchObject({ reason: 'stopped', step: 10 })
    const lines = first.stdout().trim().split('\n')
    for (const line of lines) {
      const { event, payload } = JSON.parse(line) as { event: TrainingEventName; payload: unknown }
      expect(trainingEvents[event].safeParse(payload).success, line).toBe(true)
    }
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ event: 'training.finished', payload: { reason: 'stopped' } })

    const second = capture()
    const resumed = await train(ws.corpus, { resume: stopped.checkpoint!, maxSteps: 25, threads: 1 }, second)
    expect(resumed).toMatchObject({ reason: 'completed', step: 25 })
    expect(second.stdout()).toMatch(/Resuming {4}\S+checkpoint_step_10\.safetensors at step 10 of 25/)
  })

  it('refuses impossible configs naming the flag, before any work', async () => {
    const refused = (flags: Parameters<typeof train>[1]) =>
      train(ws.corpus, { ...tiny(), checkpointDir: join(ws.root, 'never'), ...flags }, capture()).then(
        () => new Error('accepted'),
        (error: Error) => error,
      )
    const heads = await refused({ numHeads: 3 })
    expect(heads).toBeInstanceOf(UserError)
    expect(heads.message).toBe('--num-heads: must divide --embed-dim (32 is not a multiple of 3)')
    expect((await refused({ learningRate: Number.NaN })).message).toMatch(/^--learning-rate: /)
    expect((await refused({ batchSize: 0 })).message).toMatch(/^--batch-size: must be at least 1/)
    expect((await refused({ embedDim: 8192, numLayers: 64, numHeads: 8 })).message).toMatch(/needs [\d.]+ GiB, more than/)
    expect(existsSync(join(ws.root, 'never'))).toBe(false)
  })

  it('registers the CLLM flags and passes only those given', async () => {
    const program = new Command().exitOverride()
    register(program)
    const command = program.commands.find((c) => c.name() === 'train')!
    const flags = command.options.map((o) => o.long)
    for (const flag of [
      '--vocab-size', '--embed-dim', '--num-layers', '--num-heads', '--batch-size', '--seq-len', '--learning-rate',
      '--epochs', '--threads', '--checkpoint-dir', '--max-steps', '--warmup', '--weight-decay', '--grad-clip', '--seed',
      '--eval-interval', '--checkpoint-interval', '--keep', '--tokenizer', '--resume', '--json',
    ]) {
      expect(flags).toContain(flag)
    }
    expect(configFromFlags({ embedDim: 128, learningRate: 0.01 })).toEqual({
      model: { embedDim: 128, ...architectureField(DEFAULT_ARCHITECTURE) }, // a new run without --arch: the default
      training: { learningRate: 0.01 },
      paths: {},
    })
    expect(configFromFlags({ arch: 'gpt2' }).model).toEqual({ architecture: 'gpt2' })
    // A resumed or fine-tuned run keeps its model's family.
    expect(configFromFlags({ resume: 'x.safetensors' }).model).toEqual({})
    expect(configFromFlags({ initFrom: 'model' }).model).toEqual({})
    expect(withFlagNames('training.learningRate: must be a finite number')).toBe('--learning-rate: must be a finite number')

    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    await program.parseAsync(['node', 'cllm', 'train', ws.corpus, ...flagsOf({ ...tiny(), maxSteps: 5, runName: 'parsed' })])
    expect(write.mock.calls.map((c) => String(c[0])).join('')).toMatch(/^step 5\/5 /m)
    expect(existsSync(join(ws.checkpoints, 'parsed', 'final_model.safetensors'))).toBe(true)
  })
})

describe('cllm train as a process', () => {
  it('stops on Ctrl-C (SIGINT) after writing a checkpoint, and exits with 130', async () => {
    // The CLI's own entry, run by Node with tsx (the build's define of the version set by hand).
    const entry = join(ws.root, 'cllm-entry.mjs')
    const cli = pathToFileURL(resolve('src/cli/index.ts')).href
    await writeFile(entry, `globalThis.__APP_VERSION__ = 'test'\nawait import(${JSON.stringify(cli)})\n`)
    const args = ['train', ws.corpus, ...flagsOf({ ...tiny(), maxSteps: 1_000_000, evalInterval: 5, runName: 'sigint' })]
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let interrupted = false
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (!interrupted && /^step +10\//m.test(stdout)) {
        interrupted = true
        child.kill('SIGINT')
      }
    })
    const code = await new Promise<number | null>((done) => child.on('exit', (exitCode) => done(exitCode)))
    expect(interrupted, stderr).toBe(true)
    expect(code, stderr).toBe(130)
    expect(stderr).toMatch(/Stopping after this step/)
    const saved = /^Checkpoint {2}(\S+checkpoint_step_(\d+)\.safetensors) \(stopped\)$/m.exec(stdout)
    expect(saved, stdout).not.toBeNull()
    expect(Number(saved![2])).toBeGreaterThanOrEqual(10)
    expect(await readdir(join(ws.checkpoints, 'sigint'))).toContain(`checkpoint_step_${saved![2]}.safetensors`)
    expect(stdout).toMatch(/^Stopped at step ([\d,]+): training loss \d+\.\d{4} \(mean of the last [\d,]+ steps?\), validation loss \d+\.\d{4} at step \1\.$/m)
  })
})

function flagsOf(flags: Record<string, string | number>): string[] {
  return Object.entries(flags).flatMap(([key, value]) => [`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(value)])
}
