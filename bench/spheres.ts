/**
 * Sphere-pool scaling benchmark: `npm run bench -- spheres [--threads 1,2,4,8,16] [--runs 5]`.
 *
 * Tokens/s of full training steps at each thread count, side by side in one run, on tiny/4, tiny/32
 * and small/16 (configs of issue 4), with the speed-up over 1 thread; the absolute 2-thread figures
 * beside the targets of issue 5 (PyTorch is compared in `bench profile`, paired in one run); and each sphere's
 * utilisation (busy / wall) on small. Medians of --runs samples. Prints figures only; asserts nothing.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { CONFIGS, fmt, measurePool, pad, type PoolFigures } from './train'

/** Issue 5: the 2-thread targets. */
const TWO_THREADS: Record<string, { target: number; speedup?: number }> = {
  'tiny/4': { target: 23_000 },
  'tiny/32': { target: 42_000, speedup: 1.7 },
  'small/16': { target: 1_700, speedup: 1.85 },
}

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1,2' }, runs: { type: 'string', default: '5' } } })
const threadCounts = values.threads.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0)
if (!threadCounts.includes(1)) threadCounts.unshift(1)
const runs = Math.max(3, Number(values.runs))
execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })

console.log(`Thread scaling of full training steps; median of ${runs} samples; ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
const results = new Map<string, Map<number, PoolFigures>>()
for (const config of CONFIGS) {
  const row = new Map<number, PoolFigures>()
  results.set(config.name, row)
  for (const threads of threadCounts) {
    // A batch smaller than the thread count leaves spheres idle; the figure still counts.
    row.set(threads, await measurePool(config, threads, runs))
  }
}

console.log('\ntokens/s (speed-up over 1 thread)')
console.log(`${'config'.padEnd(10)}${threadCounts.map((t) => pad(`${t} thr`, 20)).join('')}`)
for (const [name, row] of results) {
  const base = row.get(1)!.tokensPerSecond
  const cells = threadCounts.map((t) => {
    const f = row.get(t)!.tokensPerSecond
    return pad(`${fmt(f)} (${(f / base).toFixed(2)}×)`, 20)
  })
  console.log(`${name.padEnd(10)}${cells.join('')}`)
}

console.log('\nprojected on idle cores: tokens × threads / CPU-seconds used (speed-up); equal to the above on an idle machine')
for (const [name, row] of results) {
  const base = row.get(1)!.projectedTokensPerSecond
  const cells = threadCounts.map((t) => {
    const f = row.get(t)!.projectedTokensPerSecond
    return pad(`${fmt(f)} (${(f / base).toFixed(2)}×)`, 20)
  })
  console.log(`${name.padEnd(10)}${cells.join('')}`)
}

if (threadCounts.includes(2)) {
  console.log('\n2 threads against the targets of issue 5 (PyTorch, paired in one run: bench profile)')
  console.log(`${'config'.padEnd(10)}${pad('tokens/s', 10)}${pad('target', 10)}${pad('vs target', 11)}${pad('speed-up', 10)}${pad('target', 8)}`)
  for (const [name, row] of results) {
    const two = row.get(2)!.tokensPerSecond
    const ref = TWO_THREADS[name]
    const speedup = two / row.get(1)!.tokensPerSecond
    console.log(
      `${name.padEnd(10)}${pad(fmt(two), 10)}` +
        `${pad(fmt(ref.target), 10)}${pad(`${(two / ref.target).toFixed(2)}×`, 11)}${pad(`${speedup.toFixed(2)}×`, 10)}` +
        `${pad(ref.speedup ? `≥ ${ref.speedup}×` : '', 8)}`,
    )
  }
}

console.log('\nper-sphere utilisation on small/16 (busy / wall; target ≥ 90%)')
for (const threads of threadCounts) {
  const util = results.get('small/16')!.get(threads)!.utilisation
  console.log(`${pad(`${threads} thr`, 7)}: ${util.map((u, id) => `${id}:${(u * 100).toFixed(1)}%`).join('  ')}`)
}
if (threadCounts.includes(16)) {
  const row = results.get('small/16')!
  console.log(`\nsmall/16 at 16 threads: ${(row.get(16)!.tokensPerSecond / row.get(1)!.tokensPerSecond).toFixed(2)}× (target ≥ 12×)`)
}
