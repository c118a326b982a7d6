/**
 * Training-step benchmark: `npm run bench -- train [--runs 7] [--threads 1]`.
 *
 * Tokens/s of full optimizer steps (forward + backward + gradient reduction + AdamW) on the sphere pool
 * with the WebAssembly kernels, at the configs of issue 4: tiny (vocab 500, d 64, 2 layers, 4 heads,
 * seq 32) at batch 4 and 32, and small (vocab 4096, d 256, 4 layers, 8 heads, seq 128) at batch 16.
 * Each figure is the median of --runs samples (each sample several steps long, after a warm-up),
 * printed beside the target of issue 4. PyTorch is compared in `bench profile`, paired in the same run:
 * a figure of PyTorch's taken at another time says little on a host whose speed wanders.
 * Also prints the pool's overhead: the same step run in-process on the main thread, no workers.
 * Prints figures only; it asserts nothing.
 */
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { availableParallelism, loadavg } from 'node:os'
import { loadKernels } from '../src/main/engine/kernels'
import { initParams } from '../src/main/engine/model/init'
import { architectureOf, createParamLayout } from '../src/main/engine/model/architectures'
import { planMemory } from '../src/main/engine/model/memory-plan'
import { Rng } from '../src/main/engine/rng'
import type { ModelConfig } from '../src/main/engine/model/trainer'
import { createTrainer } from '../src/main/engine/spheres/pool'

export interface BenchConfig {
  name: string
  model: ModelConfig
  batchSize: number
  /** Issue 4's target, tokens/s on one thread. */
  target: number
}

export const tiny: ModelConfig = { vocabSize: 500, seqLen: 32, dModel: 64, nLayers: 2, nHeads: 4 }
export const small: ModelConfig = { vocabSize: 4096, seqLen: 128, dModel: 256, nLayers: 4, nHeads: 8 }
export const CONFIGS: BenchConfig[] = [
  { name: 'tiny/4', model: tiny, batchSize: 4, target: 15_000 },
  { name: 'tiny/32', model: tiny, batchSize: 32, target: 25_000 },
  { name: 'small/16', model: small, batchSize: 16, target: 900 },
]
export const ADAMW = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradClip: 1 }

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function benchTokens(vocab: number, count = 200_000): Uint16Array {
  const rng = Rng.seeded(1)
  const tokens = new Uint16Array(new SharedArrayBuffer(count * 2))
  for (let i = 0; i < count; i++) tokens[i] = Math.floor(rng.nextFloat() * vocab)
  return tokens
}

/** Steps per sample so that a sample lasts about `ms`. */
export function stepsFor(seconds: number, ms = 400): number {
  return Math.max(2, Math.min(200, Math.round(ms / 1000 / seconds)))
}

export interface PoolFigures {
  tokensPerSecond: number
  /**
   * tokens × threads / CPU-seconds of the whole process: the figure the pool would reach with a core of
   * its own per sphere. Equals tokensPerSecond on idle cores; higher when other processes take the CPU.
   */
  projectedTokensPerSecond: number
  /** Per sphere: busy / wall over the measured samples. */
  utilisation: number[]
}

/** Median tokens/s of full steps on a pool of `threads` spheres. */
export async function measurePool(config: BenchConfig, threads: number, runs: number): Promise<PoolFigures> {
  const tokens = benchTokens(config.model.vocabSize)
  const trainer = await createTrainer({ model: config.model, adamw: ADAMW, batchSize: config.batchSize, threads, seed: 1 })
  try {
    const rng = Rng.seeded(2)
    const starts = new Array<number>(config.batchSize)
    const step = async () => {
      for (let r = 0; r < starts.length; r++) starts[r] = Math.floor(rng.nextFloat() * (tokens.length - config.model.seqLen - 1))
      return trainer.step(tokens, starts, 1e-4)
    }
    const warm = performance.now()
    for (let i = 0; i < 3; i++) await step()
    const steps = stepsFor((performance.now() - warm) / 3000)
    const samples: number[] = []
    const cpuSamples: number[] = []
    const busy = new Array<number>(threads).fill(0)
    let wall = 0
    const tokensPerSample = steps * config.batchSize * config.model.seqLen
    for (let s = 0; s < runs; s++) {
      const started = performance.now()
      const cpu = process.cpuUsage()
      for (let i = 0; i < steps; i++) {
        const result = await step()
        wall += result.wallMs * 1e6
        result.spheres.forEach((sphere, id) => (busy[id] += sphere.busyNs))
      }
      const used = process.cpuUsage(cpu)
      samples.push(tokensPerSample / ((performance.now() - started) / 1000))
      cpuSamples.push((tokensPerSample * threads) / ((used.user + used.system) / 1e6))
    }
    return { tokensPerSecond: median(samples), projectedTokensPerSecond: median(cpuSamples), utilisation: busy.map((b) => b / wall) }
  } finally {
    await trainer.close()
  }
}

/** The same step on the main thread, no workers: forward, backward and AdamW over the whole batch. */
async function measureInProcess(config: BenchConfig, runs: number): Promise<number> {
  const layout = createParamLayout(config.model)
  const plan = planMemory(layout, config.batchSize, 1)
  const memory = new WebAssembly.Memory({ initial: plan.pages, maximum: plan.pages, shared: true })
  const { kernels: k } = await loadKernels(memory)
  initParams(new Float32Array(memory.buffer, plan.params, layout.totalFloats), layout, 1)
  const shard = architectureOf(layout.config).createShard(k, memory.buffer, layout, plan.shards[0], plan.params, plan.grads[0])
  const { seqLen: T, vocabSize: V } = config.model
  const B = config.batchSize
  const rng = Rng.seeded(3)
  const i32 = new Int32Array(memory.buffer)
  const step = () => {
    for (let i = 0; i < B * T; i++) {
      i32[plan.shards[0].tokens / 4 + i] = Math.floor(rng.nextFloat() * V)
      i32[plan.shards[0].targets / 4 + i] = Math.floor(rng.nextFloat() * V)
    }
    k.zero(plan.grads[0], layout.totalFloats)
    shard.forward(B, T, true)
    shard.backward(B, T, 1 / (B * T))
    k.adamw(plan.params, plan.grads[0], plan.adamM, plan.adamV, layout.totalFloats, 0.9, 0.1, 0.999, 0.001, 1e-8, 1 - 1e-6, 1e-4 / 0.1, Math.sqrt(0.001), 1)
  }
  const warm = performance.now()
  for (let i = 0; i < 3; i++) step()
  const steps = stepsFor((performance.now() - warm) / 3000)
  const samples: number[] = []
  for (let s = 0; s < runs; s++) {
    const started = performance.now()
    for (let i = 0; i < steps; i++) step()
    samples.push((steps * B * T) / ((performance.now() - started) / 1000))
  }
  return median(samples)
}

export const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
export const pad = (s: string, n: number): string => s.padStart(n)

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, threads: { type: 'string', default: '1' } } })
  const runs = Math.max(3, Number(values.runs))
  const threads = Math.max(1, Number(values.threads))
  execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })

  console.log(`Full training steps (forward + backward + AdamW), ${threads} thread${threads > 1 ? 's' : ''}, median of ${runs} samples; tokens/s`)
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`)
  console.log(
    `${'config'.padEnd(10)}${pad('pool', 10)}${pad('in-process', 12)}${pad('overhead', 10)}${pad('target', 10)}${pad('vs target', 11)}${pad('idle-core', 11)}`,
  )
  for (const config of CONFIGS) {
    const pool = await measurePool(config, threads, runs)
    const inProcess = await measureInProcess(config, runs)
    console.log(
      `${config.name.padEnd(10)}${pad(fmt(pool.tokensPerSecond), 10)}${pad(fmt(inProcess), 12)}` +
        `${pad(`${((inProcess / pool.tokensPerSecond - 1) * 100).toFixed(1)}%`, 10)}` +
        `${pad(fmt(config.target), 10)}${pad(`${(pool.tokensPerSecond / config.target).toFixed(2)}×`, 11)}` +
        `${pad(fmt(pool.projectedTokensPerSecond), 11)}`,
    )
  }
  console.log('overhead: how much faster the same step runs on the main thread without the pool (coordination cost).')
  console.log('idle-core: tokens × threads / CPU-seconds used; what "pool" would be with a free core per sphere (equal on an idle machine).')
  console.log('PyTorch, paired with the engine in the same run: npm run bench -- profile.')
  await printMatmulGflops(runs)
}

/** The kernel behind most of a step: matmul 512×256×256 (M×K×N), 1 thread (issue 4 asks for it here). */
async function printMatmulGflops(runs: number): Promise<void> {
  const [M, K, N] = [512, 256, 256]
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true })
  const { kernels, variant } = await loadKernels(memory)
  const a = 1024
  const b = a + M * K * 4
  const out = b + K * N * 4
  const scratch = out + M * N * 4
  const view = new Float32Array(memory.buffer)
  const random = Rng.seeded(7)
  for (let i = a / 4; i < out / 4; i++) view[i] = random.nextFloat() - 0.5
  const seconds: number[] = []
  for (let r = 0; r < Math.max(runs, 7); r++) {
    const calls = 20
    const started = performance.now()
    for (let c = 0; c < calls; c++) kernels.matmulNN(out, a, b, 0, M, K, N, 0, scratch)
    seconds.push((performance.now() - started) / 1000 / calls)
  }
  seconds.sort((x, y) => x - y)
  const gflops = (2 * M * K * N) / seconds[seconds.length >> 1] / 1e9
  console.log(`\nmatmul ${M}×${K}×${N} (${variant} SIMD, 1 thread): ${gflops.toFixed(1)} GFLOP/s median (targets with relaxed SIMD: ≥ 28, issue 4; ≥ 36, issue 12)`)
}

// Run only as the benchmark itself; bench/spheres.ts imports the helpers above.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main()
