/**
 * GPT-2 124M benchmark: `npm run bench -- gpt2 [--steps 3] [--threads 1,2] [--no-torch] [--no-checkpoint]`.
 *
 * Training tokens/s of full optimizer steps at GPT-2 small's shape (vocab 50,257, d 768, 12 layers,
 * 12 heads, context 1024; 124,439,808 parameters), randomly initialised, one window per sphere, on
 * 1 and 2 threads, beside PyTorch on the same shape, threads and batch (bench/gpt2_torch.py, run
 * here). Also prints the memory plan (stored or recomputed activations), the process's peak memory,
 * and the time to write and read back a checkpoint of that size. Prints figures; asserts nothing.
 * A later row's peak RSS can include an earlier trainer's memory not yet collected: for a clean
 * figure run one thread count per process (`--threads 2`).
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { loadavg, availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadCheckpoint, saveCheckpoint } from '../src/main/engine/checkpoints'
import { createParamLayout } from '../src/main/engine/model/architectures'
import { planMemory } from '../src/main/engine/model/memory-plan'
import type { ModelConfig, TrainerState } from '../src/main/engine/model/trainer'
import { Rng } from '../src/main/engine/rng'
import { createTrainer } from '../src/main/engine/spheres/pool'
import { ADAMW, benchTokens, fmt, median, pad } from './train'

export const GPT2_SMALL: ModelConfig = { vocabSize: 50257, seqLen: 1024, dModel: 768, nLayers: 12, nHeads: 12 }

const GIB = 1024 ** 3
const gib = (bytes: number): string => `${(bytes / GIB).toFixed(2)} GiB`

/** The highest resident set size of this process (workers included) from start() to stop(), sampled every 50 ms. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, process.memoryUsage().rss)
    },
  }
}

interface OurFigures {
  tokensPerSecond: number
  planBytes: number
  recompute: boolean
  /** Peak RSS while training (before any copy of the state is taken for the checkpoint test). */
  peakRss: number
  state: TrainerState
}

async function measureOurs(threads: number, steps: number, keepState: boolean): Promise<OurFigures> {
  const batchSize = threads
  const plan = planMemory(createParamLayout(GPT2_SMALL), batchSize, threads)
  const tokens = benchTokens(GPT2_SMALL.vocabSize, 100_000)
  const sampler = rssSampler()
  const trainer = await createTrainer({ model: GPT2_SMALL, adamw: ADAMW, batchSize, threads, seed: 1 })
  try {
    const rng = Rng.seeded(2)
    const starts = new Array<number>(batchSize)
    const step = async () => {
      for (let r = 0; r < batchSize; r++) starts[r] = Math.floor(rng.nextFloat() * (tokens.length - GPT2_SMALL.seqLen - 1))
      return trainer.step(tokens, starts, 1e-4)
    }
    await step() // warm-up
    const rates: number[] = []
    for (let i = 0; i < steps; i++) {
      const started = performance.now()
      await step()
      rates.push((batchSize * GPT2_SMALL.seqLen) / ((performance.now() - started) / 1000))
    }
    const peakRss = sampler.stop()
    return {
      peakRss,
      tokensPerSecond: median(rates),
      planBytes: plan.totalBytes,
      recompute: plan.shards[0].recompute,
      state: keepState ? trainer.getState() : { step: 0, params: [], adamM: [], adamV: [] },
    }
  } finally {
    sampler.stop()
    await trainer.close()
  }
}

interface TorchFigures {
  tokens_per_s: number
  peak_rss_bytes: number
  parameters: number
  torch: string
}

function measureTorch(threads: number, steps: number): TorchFigures | string {
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      ['bench/gpt2_torch.py', '--threads', String(threads), '--batch', String(threads), '--steps', String(steps)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    )
    return JSON.parse(out.trim().split('\n').pop()!) as TorchFigures
  } catch (error) {
    return `PyTorch not run (${(error as Error).message.split('\n')[0]})`
  }
}

/** Writes the trained state as a checkpoint (weights and both AdamW moments) and reads it back. */
async function measureCheckpoint(state: TrainerState): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cllm-gpt2-bench-'))
  try {
    const path = join(dir, 'step_2.safetensors')
    const written = performance.now()
    await saveCheckpoint(path, {
      metadata: {
        config: { model: GPT2_SMALL },
        tokenizerKind: 'bpe',
        tokenizer: '{}',
        step: state.step,
        epoch: 0,
        sampler: {},
        rng: {},
        losses: { train: null, val: null },
        created: new Date().toISOString(),
        corpusFingerprint: 'bench',
      },
      state,
    })
    const writeSeconds = (performance.now() - written) / 1000
    const bytes = (await stat(path)).size
    const read = performance.now()
    const loaded = await loadCheckpoint(path)
    const readSeconds = (performance.now() - read) / 1000
    const same = loaded.state.params.every((t, i) => t.data.every((x, j) => Object.is(x, state.params[i].data[j])))
    return `checkpoint ${gib(bytes)} (weights + AdamW m, v): written in ${writeSeconds.toFixed(1)} s, read and verified in ${readSeconds.toFixed(1)} s${same ? '' : ' — READ BACK DIFFERENT'}`
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '3' },
      threads: { type: 'string', default: '1,2' },
      'no-torch': { type: 'boolean', default: false },
      'no-checkpoint': { type: 'boolean', default: false },
    },
  })
  const steps = Math.max(1, Number(values.steps))
  const threadCounts = values.threads.split(',').map(Number).filter((n) => n >= 1)
  execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })
  const layout = createParamLayout(GPT2_SMALL)
  console.log(
    `GPT-2 124M shape: vocab ${fmt(GPT2_SMALL.vocabSize)}, d ${GPT2_SMALL.dModel}, ${GPT2_SMALL.nLayers} layers, ${GPT2_SMALL.nHeads} heads, context ${GPT2_SMALL.seqLen}; ${fmt(layout.paramCount)} parameters`,
  )
  console.log(`one window (${GPT2_SMALL.seqLen} tokens) per sphere per step; median of ${steps} steps after one warm-up step; random tokens, random init`)
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`)
  console.log(
    `${'threads'.padEnd(8)}${pad('tokens/s', 10)}${pad('PyTorch', 10)}${pad('vs torch', 10)}${pad('wasm memory', 13)}${pad('activations', 13)}${pad('peak RSS', 11)}${pad('torch RSS', 11)}`,
  )
  let checkpointLine: string | undefined
  const notes: string[] = []
  for (const threads of threadCounts) {
    const keep = !values['no-checkpoint'] && checkpointLine === undefined
    const ours = await measureOurs(threads, steps, keep)
    // Written and read back now, so the copy of the state is gone before the next row is measured.
    if (keep) checkpointLine = await measureCheckpoint(ours.state)
    const torch = values['no-torch'] ? 'skipped (--no-torch)' : measureTorch(threads, steps)
    if (typeof torch === 'string') notes.push(torch)
    const torchRate = typeof torch === 'string' ? NaN : torch.tokens_per_s
    console.log(
      `${String(threads).padEnd(8)}${pad(fmt(ours.tokensPerSecond), 10)}` +
        `${pad(Number.isNaN(torchRate) ? '-' : fmt(torchRate), 10)}` +
        `${pad(Number.isNaN(torchRate) ? '-' : `${(ours.tokensPerSecond / torchRate).toFixed(2)}×`, 10)}` +
        `${pad(gib(ours.planBytes), 13)}${pad(ours.recompute ? 'recomputed' : 'stored', 13)}${pad(gib(ours.peakRss), 11)}` +
        `${pad(typeof torch === 'string' ? '-' : gib(torch.peak_rss_bytes), 11)}`,
    )
  }
  for (const note of notes) console.log(note)
  console.log('wasm memory: the run\'s one WebAssembly memory (weights, AdamW m and v, a gradient per sphere, activations); at most 4 GiB.')
  console.log('activations: "recomputed" keeps one attention matrix and GELU output for all layers and recomputes them in backward.')
  if (checkpointLine) console.log(checkpointLine)
}

await main()
