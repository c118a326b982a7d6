/**
 * Event-loop delay of the process that owns the engine: `npm run bench -- responsiveness
 * [--folder src] [--steps 12] [--no-124m]`.
 *
 * 1. A real training session of the "small" config (BPE vocab 4096, d 256, 4 layers, 8 heads, seq 128,
 *    batch 16, 2 threads) on --folder: one fresh perf_hooks.monitorEventLoopDelay per phase —
 *    preparing (corpus, tokenizer, encoding, pool start) and training (steps, evaluations and a
 *    checkpoint every 4 steps).
 * 2. Starting a pool (drawing the initial weights), a checkpoint save (trainer.snapshotState() +
 *    saveCheckpoint, as the session does) and its load into the pool (loadCheckpoint + restoreState,
 *    as a resume does), for the small config and the GPT-2 124M shape (1.5 GB of weights and moments).
 * p50 / p99 / max in ms against the targets p99 ≤ 20, max ≤ 100. Prints figures only; asserts nothing.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { loadCheckpoint, saveCheckpoint, type CheckpointInput } from '../src/main/engine/checkpoints'
import type { ModelConfig, TrainerState } from '../src/main/engine/model/trainer'
import { createSession } from '../src/main/engine/session'
import { createTrainer } from '../src/main/engine/spheres/pool'
import { ADAMW } from './train'

const { values } = parseArgs({
  options: {
    folder: { type: 'string', default: 'src' },
    steps: { type: 'string', default: '12' },
    'no-124m': { type: 'boolean', default: false },
  },
})
execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })
const rows: string[] = []
const ms = (ns: number) => (ns / 1e6).toFixed(1).padStart(8)
function report(phase: string, h: IntervalHistogram, seconds: number): void {
  rows.push(`  ${phase.padEnd(44)}${ms(h.percentile(50))}${ms(h.percentile(99))}${ms(h.max)}${seconds.toFixed(1).padStart(9)}`)
}
async function measured<T>(phase: string, work: () => Promise<T>): Promise<T> {
  const h = monitorEventLoopDelay({ resolution: 1 })
  const started = performance.now()
  h.enable()
  try {
    return await work()
  } finally {
    h.disable()
    report(phase, h, (performance.now() - started) / 1000)
  }
}

console.log(`Event-loop delay of the engine's process; ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
const root = await mkdtemp(join(tmpdir(), 'cllm-bench-loop-'))
try {
  // 1. A whole session, phase by phase.
  const session = await createSession({
    folder: resolve(values.folder),
    config: {
      model: { vocabSize: 4096, embedDim: 256, numLayers: 4, numHeads: 8, seqLen: 128 },
      training: { batchSize: 16, threads: 2, maxSteps: Number(values.steps), evalInterval: 6, checkpointInterval: 4, tokenizer: 'bpe' },
      paths: { checkpointDir: join(root, 'runs') },
    },
    sample: false,
  })
  let monitor = monitorEventLoopDelay({ resolution: 1 })
  let phase = 'small: preparing'
  let since = performance.now()
  monitor.enable()
  session.on((event) => {
    if (event.event !== 'training.state' || phase === `small: ${event.payload.state}`) return
    monitor.disable()
    report(phase, monitor, (performance.now() - since) / 1000)
    monitor = monitorEventLoopDelay({ resolution: 1 })
    phase = `small: ${event.payload.state}`
    since = performance.now()
    monitor.enable()
  })
  const finished = await session.run()
  monitor.disable()
  if (finished.state !== 'done') console.log(`the session ended ${finished.state}: ${JSON.stringify(finished)}`)

  // 2. Checkpoint writes and loads alone.
  const shapes: [string, ModelConfig][] = [['small', { vocabSize: 4096, seqLen: 128, dModel: 256, nLayers: 4, nHeads: 8 }]]
  if (!values['no-124m']) shapes.push(['124M', { vocabSize: 50_257, seqLen: 1024, dModel: 768, nLayers: 12, nHeads: 12 }])
  for (const [name, model] of shapes) {
    const trainer = await measured(`${name}: start a pool (draws the weights)`, () =>
      createTrainer({ model, adamw: ADAMW, batchSize: 1, threads: 1, seed: 1 }),
    )
    try {
      const path = join(root, `${name}.safetensors`)
      await measured(`${name}: snapshot + save checkpoint`, async () => saveCheckpoint(path, checkpointOf(model, await trainer.snapshotState())))
      // What a resume does: read and verify the file, then copy it into the pool's memory.
      await measured(`${name}: load checkpoint, restore it`, async () => trainer.restoreState((await loadCheckpoint(path)).state))
      await rm(path)
    } finally {
      await trainer.close()
    }
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
console.log(`\n  ${'phase'.padEnd(44)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}${'seconds'.padStart(9)}`)
for (const row of rows) console.log(row)
console.log(`targets: p99 ≤ 20 ms, max ≤ 100 ms; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)

/** What a session saves, with placeholder training metadata. */
function checkpointOf(model: ModelConfig, state: TrainerState): CheckpointInput {
  return {
    state,
    metadata: {
      config: { model, training: { batchSize: 1, learningRate: 1e-4 }, adamw: { beta1: 0.9, beta2: 0.999 } },
      tokenizerKind: 'word',
      tokenizer: '<PAD>\t0\n<UNK>\t0\n',
      step: state.step,
      epoch: 0,
      sampler: { cursor: 0, order: [] },
      rng: { state: [1, 2, 3, 4] },
      losses: { train: 1, val: null, recentTrain: [], recentVal: [] },
      created: new Date().toISOString(),
      corpusFingerprint: 'sha256:bench',
    },
  }
}
