/**
 * Kernel benchmark: `npm run bench -- kernels [--runs 9]`.
 *
 * 1. matmul GFLOP/s at M=512, K=256, N=256 and at the small model's shapes, for NN, NT and TN, one
 *    thread: relaxed SIMD packed (what training runs) beside relaxed unpacked and plain SIMD packed,
 *    median (and best) of --runs samples, each sample several calls long; and each as a share of the
 *    FMA ceiling measured in the same run (bench/assembly/fma-ceiling.ts), beside the core clock: the
 *    clock of a shared host varies, so GFLOP/s alone cannot say how close a kernel is to what the
 *    machine allows.
 * 2. Per-kernel timings of one training step of the tiny model (vocab 500, d 64, 2 layers, 4 heads,
 *    seq 32) at batch 4 and 32: µs per call for both builds, calls per step, and the kernels' share of
 *    the step, summed into a kernel-only bound on tokens/s.
 * Prints figures only; it asserts nothing.
 */
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import {
  KERNEL_MEMORY_BASE,
  loadKernels,
  type Kernels,
  type KernelVariant,
} from '../src/main/engine/kernels'
import { MATMUL_SCRATCH_BYTES } from '../src/main/engine/kernels/abi'
import { compileWasm } from '../scripts/build-kernels.mjs'

/** Issue 12: matmul 512×256×256, one thread, relaxed SIMD. */
const TARGET_GFLOPS = 36
const VARIANTS: KernelVariant[] = ['relaxed', 'simd']

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } })
const runs = Math.max(7, Number(values.runs))

execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

interface Timing {
  median: number
  best: number
}

/**
 * Seconds per call of each fn: after a warm-up, `runs` rounds that take one sample of every fn in turn
 * (so a burst of load from elsewhere on the machine hits all of them alike); a sample repeats its fn
 * until it has run ≥ minSampleMs.
 */
function timeInterleaved(fns: (() => void)[], minSampleMs = 5): Timing[] {
  const reps = fns.map((fn) => {
    let n = 1
    for (;;) {
      const started = performance.now()
      for (let r = 0; r < n; r++) fn()
      if (performance.now() - started >= minSampleMs) return n
      n *= 2
    }
  })
  const samples = fns.map((): number[] => [])
  for (let s = 0; s < runs; s++) {
    fns.forEach((fn, i) => {
      const started = performance.now()
      for (let r = 0; r < reps[i]; r++) fn()
      samples[i].push((performance.now() - started) / 1000 / reps[i])
    })
  }
  return samples.map((xs) => ({ median: median(xs), best: Math.min(...xs) }))
}

/** Bump allocator over a shared memory, filled with small random values (no NaN or overflow anywhere). */
function workspace(bytes: number): {
  memory: WebAssembly.Memory
  alloc: (floats: number) => number
} {
  const pages = Math.ceil(bytes / 65536)
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true })
  const f32 = new Float32Array(memory.buffer)
  let seed = 1
  for (let i = 0; i < f32.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    f32[i] = (seed / 2 ** 32 - 0.5) * 0.2
  }
  let next = KERNEL_MEMORY_BASE
  const alloc = (floats: number): number => {
    const ptr = next
    next += Math.ceil(floats / 4) * 16 + 64
    if (next > bytes) throw new Error('bench workspace too small')
    return ptr
  }
  return { memory, alloc }
}

async function instantiate(memory: WebAssembly.Memory): Promise<Record<KernelVariant, Kernels>> {
  return {
    relaxed: (await loadKernels(memory, { variant: 'relaxed' })).kernels,
    simd: (await loadKernels(memory, { variant: 'simd' })).kernels,
  }
}

interface MatmulCase {
  label: string
  op: 'NN' | 'NT' | 'TN'
  M: number
  K: number
  N: number
}

/**
 * The core's clock, from a chain of dependent f64 multiplies (each waits 4 cycles for the one before
 * on Intel cores since Skylake; 3 on AMD Zen, where this reads 4/3 high). Median of 5 chains of ~20 ms.
 */
function clockGHz(): number {
  const chain = (n: number, y: number): number => {
    let x = 1.0000001
    for (let i = 0; i < n; i++) {
      x *= y; x *= y; x *= y; x *= y; x *= y; x *= y; x *= y; x *= y
    }
    return x
  }
  chain(1e5, 0.9999999)
  const n = 2e6
  // Each of the n·8 multiplies waits 4 cycles for the one before; the result keeps the chain alive.
  return medianRate(() => chain(n, 0.99999999) === 42 && console.log(''), n * 8 * 4)
}

/** Billions of `units` per second of `run` (which does that many), median of 5 runs. */
function medianRate(run: () => unknown, units: number): number {
  const samples = Array.from({ length: 5 }, () => {
    const started = performance.now()
    run()
    return units / ((performance.now() - started) / 1000) / 1e9
  })
  return median(samples)
}

/** 128-bit FMA: 4 lanes × 2 flops × 2 FMA units per cycle, the most WebAssembly SIMD can reach. */
const PEAK_FLOPS_PER_CYCLE = 16

/** bench/assembly/fma-ceiling.ts, compiled here: GFLOP/s of nothing but independent 128-bit FMAs. */
async function fmaCeilingMeter(): Promise<() => number> {
  const binary = await compileWasm('bench/assembly/fma-ceiling.ts', ['-O3', '--runtime', 'stub', '--enable', 'simd', '--enable', 'relaxed-simd'])
  const { instance } = await WebAssembly.instantiate(binary)
  const fmaRounds = instance.exports.fmaRounds as (n: number) => number
  fmaRounds(1e5)
  const rounds = 2e6
  return () => medianRate(() => fmaRounds(rounds), rounds * 80)
}
const fmaCeiling = await fmaCeilingMeter()

/**
 * GFLOP/s of each case: relaxed SIMD packed (with scratch, what training runs) beside relaxed SIMD
 * unpacked (no scratch) and plain SIMD packed, median (best); and the packed relaxed median as a share of
 * the FMA ceiling measured around the table (a loop of nothing but independent FMAs; what this core gives
 * WebAssembly now), beside the clock and the 128-bit peak it implies.
 */
async function matmulTable(title: string, cases: MatmulCase[], target?: number): Promise<void> {
  const floats = Math.max(...cases.map(({ M, K, N }) => M * N + M * K + K * N + N))
  const { memory, alloc } = workspace(floats * 4 + MATMUL_SCRATCH_BYTES + (1 << 20))
  const k = await instantiate(memory)
  const clocks = [clockGHz()]
  const ceilings = [fmaCeiling()]
  console.log(`${title}, 1 thread, GFLOP/s: median (best) of ${runs} samples`)
  console.log(
    `  ${''.padEnd(40)}   relaxed packed   relaxed unpacked  plain packed   packed/unpacked  relaxed/plain  % of FMA ceiling`,
  )
  const lines: { name: string; cells: string; gflops: number; op: string }[] = []
  for (const { label, op, M, K, N } of cases) {
    const ws = workspaceAllocator(alloc)
    const out = ws(M * N),
      a = ws(M * K),
      b = ws(K * N),
      bias = ws(N),
      scratch = ws(MATMUL_SCRATCH_BYTES / 4)
    const call = (x: Kernels, scratchPtr: number): void => {
      if (op === 'NN') x.matmulNN(out, a, b, bias, M, K, N, 0, scratchPtr)
      else if (op === 'NT') x.matmulNT(out, a, b, M, K, N, 0, scratchPtr)
      else x.matmulTN(out, a, b, M, K, N, 0, scratchPtr)
    }
    const [packed, unpacked, plain] = timeInterleaved(
      [() => call(k.relaxed, scratch), () => call(k.relaxed, 0), () => call(k.simd, scratch)],
      20,
    )
    const flops = 2 * M * K * N
    const cell = (t: Timing): string =>
      `${(flops / t.median / 1e9).toFixed(1).padStart(6)} (${(flops / t.best / 1e9).toFixed(1).padStart(5)})`
    const ratio = (x: Timing, y: Timing): string => `${(y.median / x.median).toFixed(2).padStart(5)}x`
    lines.push({
      name: `${op} ${M}×${K}×${N} ${label}`.padEnd(40),
      cells: `${cell(packed)}     ${cell(unpacked)}    ${cell(plain)}        ${ratio(packed, unpacked)}         ${ratio(packed, plain)}`,
      gflops: flops / packed.median / 1e9,
      op,
    })
  }
  clocks.push(clockGHz())
  ceilings.push(fmaCeiling())
  const ghz = median(clocks)
  const peak = ghz * PEAK_FLOPS_PER_CYCLE
  const ceiling = Math.max(...ceilings)
  for (const { name, cells, gflops, op } of lines) {
    const verdict =
      target && op === 'NN' ? `   target ≥ ${target}: ${gflops >= target ? 'met' : 'NOT met'}` : ''
    console.log(`  ${name}  ${cells}           ${((100 * gflops) / ceiling).toFixed(0).padStart(3)} %${verdict}`)
  }
  const pair = (xs: number[]): string => `${xs[0].toFixed(1)} before, ${xs[1].toFixed(1)} after`
  console.log(
    `  FMA ceiling ${ceiling.toFixed(1)} GFLOP/s (${pair(ceilings)}): ten independent 128-bit FMA chains, no memory; ` +
      `clock ≈ ${ghz.toFixed(2)} GHz (${pair(clocks)}), so 128-bit peak ${peak.toFixed(1)} GFLOP/s and the ceiling ${((100 * ceiling) / peak).toFixed(0)} % of it` +
      (target ? `; ${target} GFLOP/s is ${((100 * target) / ceiling).toFixed(0)} % of the ceiling` : ''),
  )
}

/** Every case reuses the same workspace from its start. */
function workspaceAllocator(alloc: (floats: number) => number): (floats: number) => number {
  const base = alloc(0)
  let next = base
  return (floats) => {
    const ptr = next
    next += Math.ceil(floats / 4) * 16 + 64
    return ptr
  }
}

async function matmulBench(): Promise<void> {
  await matmulTable(
    'matmul M×K×N = 512×256×256',
    [
      { label: 'out = a·b + bias', op: 'NN', M: 512, K: 256, N: 256 },
      { label: 'out = a·bᵀ', op: 'NT', M: 512, K: 256, N: 256 },
      { label: 'out = aᵀ·b', op: 'TN', M: 512, K: 256, N: 256 },
    ],
    TARGET_GFLOPS,
  )
  // Rows of 1, 2 or 4 KiB map an unpacked tile's panel onto a few L1 sets: what packing is for.
  await matmulTable('\nmatmuls of the small model (d 256, FF 1024, vocab 4096, B×T 2048)', [
    { label: 'qkv', op: 'NN', M: 2048, K: 256, N: 768 },
    { label: 'fc', op: 'NN', M: 2048, K: 256, N: 1024 },
    { label: 'fc proj', op: 'NN', M: 2048, K: 1024, N: 256 },
    { label: 'logits', op: 'NT', M: 2048, K: 256, N: 4096 },
    { label: 'dx fc', op: 'NT', M: 2048, K: 1024, N: 256 },
    { label: 'dW fc', op: 'TN', M: 256, K: 2048, N: 1024 },
    { label: 'dW fc proj', op: 'TN', M: 1024, K: 2048, N: 256 },
    { label: 'dwte', op: 'TN', M: 4096, K: 2048, N: 256 },
  ])
}

interface Call {
  name: string
  perStep: number
  run: (k: Kernels) => void
}

/**
 * The kernel calls of one training step of a GPT (forward, backward, AdamW), with their shapes. Every
 * call writes to a buffer no other call reads, or overwrites it with the same values each time, so
 * thousands of repetitions neither blow values up nor shrink them into subnormals (which are slow).
 */
function stepCalls(
  alloc: (floats: number) => number,
  cfg: { V: number; C: number; L: number; NH: number; T: number; B: number },
): { calls: Call[]; tokens: number; targets: number } {
  const { V, C, L, NH, T, B } = cfg
  const BT = B * T
  const [C3, C4] = [3 * C, 4 * C]
  const params = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
  const b = {
    x: alloc(BT * C), // residual stream (input of LayerNorm)
    ln: alloc(BT * C), // LayerNorm output (input of the matmuls)
    mean: alloc(BT),
    rstd: alloc(BT),
    qkv: alloc(BT * C3),
    att: alloc(B * NH * T * T),
    attOut: alloc(BT * C),
    fc: alloc(BT * C4), // pre-GELU
    fcGelu: alloc(BT * C4),
    out: alloc(BT * C4), // sink of forward matmuls and adds
    logits: alloc(BT * V),
    probs: alloc(BT * V),
    losses: alloc(BT),
    dlogits: alloc(BT * V),
    dy: alloc(BT * C4), // an incoming gradient of width up to 4C
    dsink: alloc(BT * C4), // sink of backward data gradients
    datt: alloc(B * NH * T * T),
    dqkv: alloc(BT * C3),
    wte: alloc(V * C),
    wpe: alloc(T * C),
    w: alloc(C * C4),
    bias: alloc(C4),
    lnw: alloc(C),
    lnb: alloc(C),
    dw: alloc(C * C4),
    dbias: alloc(C4),
    dwte: alloc(V * C),
    dwpe: alloc(T * C),
    dlnw: alloc(C),
    dlnb: alloc(C),
    params: alloc(params),
    grads: alloc(params),
    m: alloc(params),
    v: alloc(params),
    gradsCopy: alloc(params),
    tokens: alloc(BT),
    targets: alloc(BT),
    scratch: alloc(MATMUL_SCRATCH_BYTES / 4),
  }
  const call = (name: string, perStep: number, run: (k: Kernels) => void): Call => ({
    name,
    perStep,
    run,
  })
  const calls: Call[] = [
    call('encoderForward', 1, (k) => k.encoderForward(b.out, b.tokens, b.wte, b.wpe, B, T, C)),
    call('layernormForward', 2 * L + 1, (k) =>
      k.layernormForward(b.ln, b.mean, b.rstd, b.x, b.lnw, b.lnb, BT, C),
    ),
    call(`matmulNN qkv ${BT}×${C}→${C3}`, L, (k) =>
      k.matmulNN(b.qkv, b.ln, b.w, b.bias, BT, C, C3, 0, b.scratch),
    ),
    call('attentionForward', L, (k) => k.attentionForward(b.attOut, b.att, b.qkv, B, T, C, NH, b.scratch)),
    call(`matmulNN proj ${BT}×${C}→${C}`, L, (k) =>
      k.matmulNN(b.out, b.attOut, b.w, b.bias, BT, C, C, 0, b.scratch),
    ),
    call('add (residual)', 2 * L, (k) => k.add(b.out, b.x, b.attOut, BT * C)),
    call(`matmulNN fc ${BT}×${C}→${C4}`, L, (k) =>
      k.matmulNN(b.fc, b.ln, b.w, b.bias, BT, C, C4, 0, b.scratch),
    ),
    call('geluForward', L, (k) => k.geluForward(b.fcGelu, b.fc, BT * C4)),
    call(`matmulNN fcproj ${BT}×${C4}→${C}`, L, (k) =>
      k.matmulNN(b.out, b.fcGelu, b.w, b.bias, BT, C4, C, 0, b.scratch),
    ),
    call(`matmulNT logits ${BT}×${C}·${V}ᵀ`, 1, (k) =>
      k.matmulNT(b.logits, b.ln, b.wte, BT, C, V, 0, b.scratch),
    ),
    call('crossEntropyForward', 1, (k) =>
      k.crossEntropyForward(b.losses, b.probs, b.logits, b.targets, BT, V),
    ),
    call('crossEntropyBackward', 1, (k) =>
      k.crossEntropyBackward(b.dlogits, b.probs, b.targets, BT, V, 1 / BT),
    ),
    call(`matmulNN dx head ${BT}×${V}→${C}`, 1, (k) =>
      k.matmulNN(b.dsink, b.dlogits, b.wte, 0, BT, V, C, 0, b.scratch),
    ),
    call(`matmulTN dwte ${V}×${BT}→${C}`, 1, (k) =>
      k.matmulTN(b.dwte, b.dlogits, b.ln, V, BT, C, 1, b.scratch),
    ),
    call('layernormBackward', 2 * L + 1, (k) =>
      k.layernormBackward(b.dsink, b.dlnw, b.dlnb, b.dy, b.x, b.lnw, b.mean, b.rstd, BT, C),
    ),
    call(`matmulNT dx fcproj ${BT}×${C}→${C4}`, L, (k) =>
      k.matmulNT(b.dsink, b.dy, b.w, BT, C, C4, 0, b.scratch),
    ),
    call(`matmulTN dw fcproj ${C4}×${BT}→${C}`, L, (k) =>
      k.matmulTN(b.dw, b.fcGelu, b.dy, C4, BT, C, 1, b.scratch),
    ),
    call('biasBackward (mean width 7C/4)', 4 * L, (k) =>
      k.biasBackward(b.dbias, b.dy, BT, (C3 + C + C4 + C) / 4),
    ),
    call('geluBackward', L, (k) => k.geluBackward(b.dsink, b.fc, b.dy, BT * C4)),
    call(`matmulNT dx fc ${BT}×${C4}→${C}`, L, (k) => k.matmulNT(b.dsink, b.dy, b.w, BT, C4, C, 0, b.scratch)),
    call(`matmulTN dw fc ${C}×${BT}→${C4}`, L, (k) => k.matmulTN(b.dw, b.ln, b.dy, C, BT, C4, 1, b.scratch)),
    call(`matmulNT dx proj ${BT}×${C}→${C}`, L, (k) => k.matmulNT(b.dsink, b.dy, b.w, BT, C, C, 0, b.scratch)),
    call(`matmulTN dw proj ${C}×${BT}→${C}`, L, (k) =>
      k.matmulTN(b.dw, b.attOut, b.dy, C, BT, C, 1, b.scratch),
    ),
    call('attentionBackward', L, (k) =>
      k.attentionBackward(b.dqkv, b.datt, b.dy, b.qkv, b.att, B, T, C, NH, b.scratch),
    ),
    call(`matmulNT dx qkv ${BT}×${C3}→${C}`, L, (k) =>
      k.matmulNT(b.dsink, b.qkv, b.w, BT, C3, C, 0, b.scratch),
    ),
    call(`matmulTN dw qkv ${C}×${BT}→${C3}`, L, (k) => k.matmulTN(b.dw, b.ln, b.qkv, C, BT, C3, 1, b.scratch)),
    call('encoderBackward', 1, (k) => k.encoderBackward(b.dwte, b.dwpe, b.dy, b.tokens, B, T, C)),
    call('sumSquares (all grads)', 1, (k) => void k.sumSquares(b.grads, params)),
    call(`adamw (${params} params)`, 1, (k) =>
      k.adamw(b.params, b.grads, b.m, b.v, params, 0.9, 0.1, 0.999, 0.001, 1e-8, 1 - 1e-5, 1e-3 / 0.1, Math.sqrt(0.001), 1),
    ),
    call('zero (a gradient-sized buffer)', 1, (k) => k.zero(b.gradsCopy, params)),
  ]
  return { calls, tokens: b.tokens, targets: b.targets }
}

async function stepBench(B: number): Promise<void> {
  const cfg = { V: 500, C: 64, L: 2, NH: 4, T: 32, B }
  const { memory, alloc } = workspace(64 << 20)
  const { calls, tokens, targets } = stepCalls(alloc, cfg)
  const k = await instantiate(memory)
  const BT = B * cfg.T
  // Tokens and targets must be valid ids: write them over the random fill.
  const ints = new Int32Array(memory.buffer)
  for (let i = 0; i < BT; i++) {
    ints[tokens / 4 + i] = (i * 7919) % cfg.V
    ints[targets / 4 + i] = (i * 104729) % cfg.V
  }
  // One pass in step order first, so each call then sees realistic inputs (a softmax in att and probs).
  for (const c of calls) c.run(k.relaxed)

  console.log(
    `\ntiny step, batch ${B} (vocab ${cfg.V}, d ${cfg.C}, ${cfg.L} layers, ${cfg.NH} heads, seq ${cfg.T}): µs per call, median of ${runs}`,
  )
  console.log(
    `  ${'kernel'.padEnd(34)} ${'relaxed'.padStart(9)} ${'plain'.padStart(9)}  calls/step  share (relaxed)`,
  )
  const rows = calls.map((c) => {
    const [relaxed, simd] = timeInterleaved(VARIANTS.map((v) => () => c.run(k[v])))
    return { c, t: { relaxed: relaxed.median, simd: simd.median } }
  })
  const total = (v: KernelVariant): number => rows.reduce((s, r) => s + r.t[v] * r.c.perStep, 0)
  for (const { c, t } of rows) {
    const us = (s: number): string => (s * 1e6).toFixed(1).padStart(9)
    const share = ((100 * t.relaxed * c.perStep) / total('relaxed')).toFixed(1)
    console.log(
      `  ${c.name.padEnd(34)} ${us(t.relaxed)} ${us(t.simd)}  ${String(c.perStep).padStart(10)}  ${share.padStart(6)} %`,
    )
  }
  for (const v of VARIANTS) {
    const step = total(v)
    console.log(
      `  kernels per step (${v.padEnd(7)}): ${(step * 1e3).toFixed(2)} ms → at most ${Math.round(BT / step)} tokens/s (kernels only, 1 thread)`,
    )
  }
}

await matmulBench()
await stepBench(4)
await stepBench(32)
