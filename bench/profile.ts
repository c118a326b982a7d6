/**
 * Where a training step goes, and how far from PyTorch: `npm run bench -- profile [--pairs 3]
 * [--threads 2] [--seconds 1.5] [--configs small/16,tiny/32,tiny/4]`.
 *
 * 1. Paired comparisons, interleaved: for each config, --pairs rounds that each time one sample of the
 *    engine's pool and one of PyTorch 1.13 (bench/torch-gpt.py, a long-lived server, same architecture,
 *    same thread count), in alternating order (ABBA) so drift in the machine's load hits both alike;
 *    the median ratio and its range. Also small/16 at --threads against 1 thread, paired the same way.
 * 2. The profile of small/16: per kernel (the calls of one sphere's share of the batch, timed one by one
 *    on this thread), per sphere and phase (compute, each barrier wait, reduce, AdamW) at --threads.
 * 3. How loaded the machine was: load average, and the CPU the engine's process got per thread.
 * 4. Event-loop delay of this process (which owns the engine) while it trained: p50 / p99 / max.
 * Prints figures only; asserts nothing.
 */
import { spawn } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { availableParallelism, loadavg } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { KERNEL_NAMES, loadKernels, type Kernels } from '../src/main/engine/kernels'
import { initParams } from '../src/main/engine/model/init'
import { architectureOf, createParamLayout } from '../src/main/engine/model/architectures'
import { planMemory } from '../src/main/engine/model/memory-plan'
import type { StepPhases, Trainer } from '../src/main/engine/model/trainer'
import { Rng } from '../src/main/engine/rng'
import { createTrainer } from '../src/main/engine/spheres/pool'
import { ADAMW, CONFIGS, benchTokens, fmt, median, pad, type BenchConfig } from './train'

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '1.5' },
    configs: { type: 'string', default: CONFIGS.map((c) => c.name).join(',') },
  },
})
const pairs = Math.max(3, Number(values.pairs))
const threads = Math.max(1, Number(values.threads))
const seconds = Math.max(0.2, Number(values.seconds))
const configs = values.configs.split(',').map((name) => {
  const config = CONFIGS.find((c) => c.name === name)
  if (!config) throw new Error(`unknown config ${name}; known: ${CONFIGS.map((c) => c.name).join(', ')}`)
  return config
})
const small = CONFIGS.find((c) => c.name === 'small/16')!

/** One side of a paired comparison: takes a sample of about `seconds`, returns tokens/s. */
interface Contender {
  label: string
  sample(): Promise<number>
}

/** Event-loop delay of this process (it owns the engine), one fresh monitor per phase: a re-enabled monitor counts its pause as delay. */
const loopDelays: string[] = []
async function withLoopDelay<T>(phase: string, work: () => Promise<T>): Promise<T> {
  const monitor = monitorEventLoopDelay({ resolution: 1 })
  monitor.enable()
  try {
    return await work()
  } finally {
    monitor.disable()
    const ms = (ns: number) => pad((ns / 1e6).toFixed(1), 8)
    loopDelays.push(`  ${phase.padEnd(34)}${ms(monitor.percentile(50))}${ms(monitor.percentile(99))}${ms(monitor.max)}`)
  }
}
let cpuNs = 0
let cpuWallNs = 0

/** The engine's pool on `config` with `threads` spheres, kept open across samples. */
async function enginePool(config: BenchConfig, threads: number): Promise<Contender & { trainer: Trainer; phases: StepPhases[][]; walls: number[] }> {
  const tokens = benchTokens(config.model.vocabSize)
  const trainer = await createTrainer({ model: config.model, adamw: ADAMW, batchSize: config.batchSize, threads, seed: 1 })
  const rng = Rng.seeded(2)
  const starts = new Array<number>(config.batchSize)
  const phases: StepPhases[][] = []
  const walls: number[] = []
  const step = async () => {
    for (let r = 0; r < starts.length; r++) starts[r] = Math.floor(rng.nextFloat() * (tokens.length - config.model.seqLen - 1))
    const result = await trainer.step(tokens, starts, 1e-4)
    phases.push(result.phases)
    walls.push(result.wallMs)
  }
  for (let i = 0; i < 2; i++) await step()
  phases.length = walls.length = 0
  return {
    label: `engine ${threads} thr`,
    trainer,
    phases,
    walls,
    async sample() {
      let steps = 0
      const cpu = process.cpuUsage()
      const started = performance.now()
      while (steps < 2 || performance.now() - started < seconds * 1000) {
        await step()
        steps++
      }
      const elapsed = performance.now() - started
      const used = process.cpuUsage(cpu)
      cpuNs += (used.user + used.system) * 1e3
      cpuWallNs += elapsed * 1e6 * threads
      return (steps * config.batchSize * config.model.seqLen) / (elapsed / 1000)
    },
  }
}

/** PyTorch 1.13 (bench/torch-gpt.py) as a server: one request, one sample. */
function torchServer(): { contender(config: BenchConfig, threads: number): Contender; close(): void } {
  const child = spawn('/usr/bin/python3', ['bench/torch-gpt.py'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return {
    contender: (config, threads) => ({
      label: `PyTorch ${threads} thr`,
      async sample() {
        const { vocabSize: V, seqLen: T, dModel: C, nLayers: L, nHeads: NH } = config.model
        child.stdin.write(JSON.stringify({ name: config.name, V, T, C, L, NH, B: config.batchSize, threads, seconds }) + '\n')
        const line = await lines.next()
        if (line.done) throw new Error('PyTorch server ended (is torch installed for /usr/bin/python3?)')
        return (JSON.parse(line.value) as { tokensPerSecond: number }).tokensPerSecond
      },
    }),
    close: () => child.stdin.end(),
  }
}

/** `pairs` rounds of one sample each, ABBA order; ratio a / b per round. */
async function paired(a: Contender, b: Contender): Promise<{ a: number[]; b: number[]; ratios: number[] }> {
  await b.sample() // warm-up of b (a was warmed up when created)
  const result = { a: [] as number[], b: [] as number[], ratios: [] as number[] }
  for (let p = 0; p < pairs; p++) {
    let x: number, y: number
    if (p % 2 === 0) {
      x = await a.sample()
      y = await b.sample()
    } else {
      y = await b.sample()
      x = await a.sample()
    }
    result.a.push(x)
    result.b.push(y)
    result.ratios.push(x / y)
  }
  return result
}

function ratioLine(name: string, r: { a: number[]; b: number[]; ratios: number[] }, target: string): string {
  const lo = Math.min(...r.ratios), hi = Math.max(...r.ratios)
  return `${name.padEnd(22)}${pad(fmt(median(r.a)), 10)}${pad(fmt(median(r.b)), 10)}${pad(`${median(r.ratios).toFixed(2)}×`, 9)}` +
    `${pad(`${lo.toFixed(2)}–${hi.toFixed(2)}`, 13)}${pad(target, 9)}   ${r.ratios.map((x) => x.toFixed(2)).join(' ')}`
}

const TARGETS: Record<string, string> = { 'small/16': '≥ 0.7×', 'tiny/32': '≥ 1.6×', 'tiny/4': '≥ 2×' }

/** Kernels that time each call by name (matmuls by shape too) into `table`. */
function timedKernels(k: Kernels, table: Map<string, { ms: number; calls: number }>): Kernels {
  const wrapped: Partial<Record<keyof Kernels, unknown>> = {}
  for (const name of KERNEL_NAMES) {
    const fn = k[name] as (...args: number[]) => number
    wrapped[name] = (...args: number[]) => {
      const started = performance.now()
      const result = fn(...args)
      const ms = performance.now() - started
      const key = name.startsWith('matmul') ? `${name} ${name === 'matmulNN' ? `${args[4]}×${args[5]}×${args[6]}` : `${args[3]}×${args[4]}×${args[5]}`}` : name
      const row = table.get(key) ?? { ms: 0, calls: 0 }
      row.ms += ms
      row.calls++
      table.set(key, row)
      return result
    }
  }
  return wrapped as Kernels
}

/** One sphere's share of a step (B rows), on this thread, every kernel call timed; median of 5 steps per kernel. */
async function kernelProfile(config: BenchConfig, B: number): Promise<void> {
  const layout = createParamLayout(config.model)
  const plan = planMemory(layout, B, 1)
  const memory = new WebAssembly.Memory({ initial: plan.pages, maximum: plan.pages, shared: true })
  const { kernels, variant } = await loadKernels(memory)
  initParams(new Float32Array(memory.buffer, plan.params, layout.totalFloats), layout, 1)
  const steps: Map<string, { ms: number; calls: number }>[] = []
  const walls: number[] = []
  const rng = Rng.seeded(3)
  const i32 = new Int32Array(memory.buffer)
  const { seqLen: T, vocabSize: V } = config.model
  for (let s = 0; s < 7; s++) {
    const table = new Map<string, { ms: number; calls: number }>()
    const k = timedKernels(kernels, table)
    const shard = architectureOf(layout.config).createShard(k, memory.buffer, layout, plan.shards[0], plan.params, plan.grads[0])
    for (let i = 0; i < B * T; i++) {
      i32[plan.shards[0].tokens / 4 + i] = Math.floor(rng.nextFloat() * V)
      i32[plan.shards[0].targets / 4 + i] = Math.floor(rng.nextFloat() * V)
    }
    const started = performance.now()
    k.zero(plan.grads[0], layout.totalFloats)
    shard.forward(B, T, true)
    shard.backward(B, T, 1 / (B * T))
    k.adamw(plan.params, plan.grads[0], plan.adamM, plan.adamV, layout.totalFloats, 0.9, 0.1, 0.999, 0.001, 1e-8, 1 - 1e-6, 1e-3, 0.03, 1)
    walls.push(performance.now() - started)
    if (s >= 2) steps.push(table)
  }
  const rows = [...steps[0].keys()].map((key) => {
    const ms = median(steps.map((t) => t.get(key)!.ms))
    const calls = steps[0].get(key)!.calls
    const [name, shape] = key.split(' ')
    const flops = shape ? 2 * shape.split('×').map(Number).reduce((a, b) => a * b, 1) * calls : 0
    return { key, ms, calls, gflops: flops ? flops / (ms / 1000) / 1e9 : 0, name }
  })
  rows.sort((a, b) => b.ms - a.ms)
  const total = rows.reduce((s, r) => s + r.ms, 0)
  const wall = median(walls.slice(2))
  console.log(`\nper kernel, one sphere's share (batch ${B}) of ${config.name}, ${variant} SIMD, this thread; median of 5 steps`)
  console.log(`  ${'kernel (matmul M×K×N)'.padEnd(34)}${pad('ms/step', 9)}${pad('calls', 7)}${pad('share', 8)}${pad('GFLOP/s', 9)}`)
  for (const r of rows) {
    console.log(`  ${r.key.padEnd(34)}${pad(r.ms.toFixed(2), 9)}${pad(String(r.calls), 7)}${pad(`${((100 * r.ms) / total).toFixed(1)}%`, 8)}${pad(r.gflops ? r.gflops.toFixed(1) : '', 9)}`)
  }
  const byKind = new Map<string, number>()
  for (const r of rows) byKind.set(r.name, (byKind.get(r.name) ?? 0) + r.ms)
  console.log(`  by kernel: ${[...byKind].sort((a, b) => b[1] - a[1]).map(([n, ms]) => `${n} ${((100 * ms) / total).toFixed(1)}%`).join(', ')}`)
  console.log(`  kernels ${total.toFixed(1)} ms of a ${wall.toFixed(1)} ms step; outside kernels (JS, timing): ${(wall - total).toFixed(1)} ms`)
}

function phaseProfile(name: string, pool: { phases: StepPhases[][]; walls: number[] }): void {
  const n = pool.phases[0]?.length ?? 0
  console.log(`\nper sphere and phase, ${name}, ${n} threads: ms per step, median of ${pool.walls.length} steps (step wall ${median(pool.walls).toFixed(1)} ms)`)
  console.log(`  ${'sphere'.padEnd(8)}${['compute', 'grad wait', 'reduce', 'norm wait', 'AdamW', 'sum'].map((h) => pad(h, 11)).join('')}`)
  for (let id = 0; id < n; id++) {
    const col = (f: (p: StepPhases) => number) => median(pool.phases.map((step) => f(step[id]) / 1e6))
    const cells = [col((p) => p.computeNs), col((p) => p.gradWaitNs), col((p) => p.reduceNs), col((p) => p.normWaitNs), col((p) => p.updateNs)]
    const sum = col((p) => p.computeNs + p.gradWaitNs + p.reduceNs + p.normWaitNs + p.updateNs)
    console.log(`  ${String(id).padEnd(8)}${[...cells, sum].map((x) => pad(x.toFixed(2), 11)).join('')}`)
  }
  console.log('  step wall − sum: the command\'s hand-off (post, wake-up, last barrier, result) and the coordinator.')
}

execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })
const load0 = loadavg()
console.log(`Paired, interleaved (ABBA) samples of ≥ ${seconds} s; ${pairs} pairs; ${availableParallelism()} cores; load average ${load0.map((x) => x.toFixed(1)).join(' ')}`)
const torch = torchServer()
const results: string[] = []
let smallPool: Awaited<ReturnType<typeof enginePool>> | undefined
try {
  for (const config of configs) {
    const pool = await withLoopDelay(`${config.name}: start pool, warm up`, () => enginePool(config, threads))
    const r = await withLoopDelay(`${config.name}: paired samples`, () => paired(pool, torch.contender(config, threads)))
    results.push(ratioLine(`${config.name} vs PyTorch`, r, TARGETS[config.name] ?? ''))
    if (config === small) smallPool = pool
    else await pool.trainer.close()
  }
  if (smallPool && threads > 1) {
    const one = await enginePool(small, 1)
    smallPool.phases.length = smallPool.walls.length = 0
    const r = await paired(smallPool, one)
    results.push(ratioLine(`small/16 ${threads} vs 1 thr`, r, '≥ 1.85×'))
    await one.trainer.close()
  }
} finally {
  torch.close()
}
console.log(`\n${'comparison (tokens/s)'.padEnd(22)}${pad('A', 10)}${pad('B', 10)}${pad('median', 9)}${pad('range', 13)}${pad('target', 9)}   ratio per pair`)
for (const line of results) console.log(line)
const load1 = loadavg()
console.log(`load average at the end ${load1.map((x) => x.toFixed(1)).join(' ')}; the engine's process got ${((100 * cpuNs) / cpuWallNs).toFixed(0)}% of a core per thread while sampling (100% = cores of its own)`)
console.log(`\nevent-loop delay of this process, which owns the engine (ms; targets p99 ≤ 20, max ≤ 100)`)
console.log(`  ${'phase'.padEnd(34)}${pad('p50', 8)}${pad('p99', 8)}${pad('max', 8)}`)
for (const line of loopDelays) console.log(line)

if (smallPool) {
  phaseProfile(small.name, smallPool)
  await smallPool.trainer.close()
}
await kernelProfile(small, Math.ceil(small.batchSize / threads))
