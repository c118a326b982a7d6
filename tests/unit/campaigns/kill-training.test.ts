/**
 * Campaign 1: kills during training and checkpoint writes. A real `cllm train` process (a tiny
 * model that writes a checkpoint every step, so writes fill much of its time) is SIGKILLed at
 * random moments, 20 times and more, each next start resuming from the newest checkpoint left.
 * After every kill each remaining checkpoint must load; the temporary files a killed write left
 * must be gone once the next run has started; and the chain of interrupted runs, resumed to the
 * end, must give the same weights, byte for byte, as one uninterrupted run.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { train as runTrain, type TrainFlags } from '../../../src/cli/commands/train'
import { loadCheckpoint } from '../../../src/main/engine/checkpoints'
import { seededUniform } from '../support/random'
import { Tally } from './tally'

const repo = resolve(import.meta.dirname, '../../..')
let corpus: string
const KILLS = 20
const TOTAL_STEPS = 80
/** What every start passes: how long to train and how often to write. */
const FLAGS =
  `--json --max-steps ${TOTAL_STEPS} --checkpoint-interval 1 --keep 2 --threads 1 --eval-interval 1000`.split(
    ' ',
  )
/** The model: a fresh start only (a resumed run takes its model from the checkpoint). */
const MODEL_FLAGS =
  '--tokenizer word --vocab-size 64 --embed-dim 16 --num-layers 1 --num-heads 2 --seq-len 8 --batch-size 2'.split(
    ' ',
  )
/** FLAGS as commander hands them to the command (for the in-process reference run). */
const PARSED_FLAGS: TrainFlags = {
  json: true,
  maxSteps: TOTAL_STEPS,
  checkpointInterval: 1,
  keep: 2,
  tokenizer: 'word',
  vocabSize: 64,
  embedDim: 16,
  numLayers: 1,
  numHeads: 2,
  seqLen: 8,
  batchSize: 2,
  threads: 1,
  evalInterval: 1000,
}
let work: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cllm-kills-'))
  // A small corpus of seeded words: preparation is quick, so the kills spend their time training.
  corpus = join(work, 'corpus')
  mkdirSync(corpus)
  const words =
    'the a river stone light over under quiet green old new song road small wind far'.split(' ')
  const pick = seededUniform(7)
  for (let f = 0; f < 20; f++) {
    const text = Array.from({ length: 400 }, () => words[Math.floor(pick() * words.length)]).join(
      ' ',
    )
    writeFileSync(join(corpus, `part-${f}.txt`), `${text}.\n`)
  }
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

interface Child {
  /** Resolves when the child has exited (killed or not), with whether it completed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves at the first `training.started` line (training has begun), or never. */
  started: Promise<void>
  /** Resolves at the first `training.checkpoint` line: from then on a write starts every step. */
  wrote: Promise<void>
  /** Whether `started` has resolved. */
  hasStarted(): boolean
  stderr(): string
  kill(): void
}

function train(args: string[]): Child {
  const setVersion = `data:text/javascript,globalThis.__APP_VERSION__='test'`
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', setVersion, join(repo, 'src/cli/index.ts'), 'train', ...args],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let buffered = ''
  let markStarted: () => void = () => undefined
  let markWrote: () => void = () => undefined
  const wrote = new Promise<void>((resolvePromise) => (markWrote = resolvePromise))
  let begun = false
  const started = new Promise<void>((resolvePromise) => (markStarted = resolvePromise)).then(() => {
    begun = true
  })
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    if (buffered.includes('"training.started"')) markStarted()
    if (buffered.includes('"training.checkpoint"')) markWrote()
    if (buffered.length > 100_000) buffered = buffered.slice(-1000)
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  )
  return {
    exited,
    started,
    wrote,
    hasStarted: () => begun,
    stderr: () => stderr,
    kill: () => child.kill('SIGKILL'),
  }
}

/** Every file under the run folders of `dir`. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(join(dir, entry.name)).map((file) => join(dir, entry.name, file)),
    )
}

const stepOf = (path: string): number =>
  Number(/checkpoint_step_(\d+)\.safetensors$/.exec(path)?.[1] ?? -1)

async function paramsOf(path: string): Promise<Buffer> {
  const { state } = await loadCheckpoint(path)
  return Buffer.concat(
    state.params.map((tensor) =>
      Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
    ),
  )
}

describe('campaign 1: kills during training and checkpoint writes', () => {
  it(`survives ${KILLS} SIGKILLs: every checkpoint loads, no temp file outlives the next start, resume matches`, async () => {
    // The uninterrupted run, in process through the same command code (the flags as parsed).
    const reference = join(work, 'reference')
    const quiet = { out: () => undefined, err: () => undefined }
    const flags = {
      ...PARSED_FLAGS,
      checkpointDir: reference,
      runName: 'straight',
      checkpointInterval: 0,
    }
    const finished = await runTrain(corpus, flags, quiet)
    expect(finished.reason).toBe('completed')
    const expected = await paramsOf(join(reference, 'straight', 'final_model.safetensors'))

    const tally = new Tally('kills during training')
    const next = seededUniform(9001)
    const dir = join(work, 'killed')
    let tempsLeft: string[] = []
    let tempsSeen = 0
    let kills = 0
    let chains = 0
    const checkChain = async (): Promise<void> => {
      const finals = files(dir).filter((file) => file.endsWith('final_model.safetensors'))
      if (finals.length === 0) return
      const same = (await paramsOf(finals[0])).equals(expected)
      tally.record(
        same ? 'ok' : 'escape',
        'the resumed chain did not end with the uninterrupted weights',
      )
      chains++
      rmSync(dir, { recursive: true, force: true })
    }
    while (kills < KILLS) {
      const newest = files(dir)
        .filter((file) => stepOf(file) >= 0)
        .sort((a, b) => stepOf(b) - stepOf(a))[0]
      const args = [
        corpus,
        ...FLAGS,
        '--checkpoint-dir',
        dir,
        ...(newest ? ['--resume', newest] : MODEL_FLAGS),
      ]
      const child = train(args)
      // A third of the kills land anywhere from the start (preparation included); the rest within
      // a few steps of a checkpoint write, where the next write is often under way.
      const early = next() < 0.3
      const outcome = await Promise.race([
        early
          ? new Promise<'kill'>((r) => setTimeout(() => r('kill'), 200 + next() * 1200))
          : child.wrote.then(
              () => new Promise<'kill'>((r) => setTimeout(() => r('kill'), next() * 60)),
            ),
        child.exited.then(() => 'exited' as const),
      ])
      if (outcome === 'kill') {
        child.kill()
        kills++
      }
      const exit = await child.exited
      if (outcome === 'exited' && exit.code !== 0) {
        tally.record(
          'crash',
          `an unkilled run failed (exit ${exit.code}): ${child.stderr().slice(0, 300)}`,
        )
      }
      // Earlier kills' temporary files: a run that got as far as training must have removed them
      // (one killed while Node was still starting never ran the clean-up; they wait for the next).
      const now = files(dir)
      if (child.hasStarted()) {
        for (const temp of tempsLeft) {
          if (now.includes(temp)) tally.record('escape', `${temp} survived the next start`)
        }
        tempsLeft = []
      }
      const fresh = now.filter((file) => file.includes('.tmp-') && !tempsLeft.includes(file))
      tempsSeen += fresh.length
      tempsLeft.push(...fresh)
      // Every checkpoint left must load.
      let loaded = 0
      for (const file of now.filter((f) => f.endsWith('.safetensors'))) {
        try {
          await loadCheckpoint(file)
          loaded++
        } catch (error) {
          tally.record('crash', `${file} does not load after a kill: ${String(error)}`)
        }
      }
      tally.record('refused', `kill ${kills}: ${loaded} checkpoints load`)
      await checkChain()
    }
    // Resume the last chain to the end, and compare.
    const newest = files(dir)
      .filter((file) => stepOf(file) >= 0)
      .sort((a, b) => stepOf(b) - stepOf(a))[0]
    const last = train([
      corpus,
      ...FLAGS,
      '--checkpoint-dir',
      dir,
      ...(newest ? ['--resume', newest] : MODEL_FLAGS),
    ])
    await last.exited
    for (const temp of tempsLeft)
      if (files(dir).includes(temp)) tally.record('escape', `${temp} survived`)
    await checkChain()
    const failures = tally.report()
    console.log(
      `[campaign] kills: ${kills} SIGKILLs, ${tempsSeen} temporary files left by killed writes (all removed at the next start), ` +
        `${chains} resumed chains compared byte for byte with the uninterrupted run`,
    )
    expect(failures).toEqual([])
    expect(kills).toBeGreaterThanOrEqual(KILLS)
    expect(chains).toBeGreaterThanOrEqual(1)
  }, 240_000)
})
