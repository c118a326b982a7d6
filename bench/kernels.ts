/**
 * Kernel benchmark: `npm run bench -- kernels [--runs 9]`.
 *
 * 1. matmul GFLOP/s at M=512, K=256, N=256 for NN, NT and TN, relaxed SIMD beside plain SIMD, one thread:
 *    median (and best) of --runs samples, each sample several calls long.
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

const TARGET_GFLOPS = 28
const VARIANTS: KernelVariant[] = ['relaxed', 'simd']

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } })
const runs = Math.max(7, Number(values.runs))

execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Seconds per call: `runs` samples, each repeating fn until it has run ≥ minSampleMs; after a warm-up. */
function timeCall(fn: () => void, minSampleMs = 5): { median: number; best: number } {
  let reps = 1
  for (;;) {
    const started = performance.now()
    for (let r = 0; r < reps; r++) fn()
    if (performance.now() - started >= minSampleMs) break
    reps *= 2
  }
  const samples: number[] = []
  for (let s = 0; s < runs; s++) {
    const started = performance.now()
    for (let r = 0; r < reps; r++) fn()
    samples.push((performance.now() - started) / 1000 / reps)
  }
  return { median: median(samples), best: Math.min(...samples) }
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

async function matmulBench(): Promise<void> {
  const [M, K, N] = [512, 256, 256]
  const { memory, alloc } = workspace(8 << 20)
  const out = alloc(M * N),
    a = alloc(M * K),
    b = alloc(K * N),
    bias = alloc(N)
  const k = await instantiate(memory)
  const flops = 2 * M * K * N
  const shapes: [string, (x: Kernels) => void][] = [
    ['NN  out = a·b + bias', (x) => x.matmulNN(out, a, b, bias, M, K, N, 0)],
    ['NT  out = a·bᵀ      ', (x) => x.matmulNT(out, a, b, M, K, N, 0)],
    ['TN  out = aᵀ·b      ', (x) => x.matmulTN(out, a, b, M, K, N, 0)],
  ]
  console.log(`matmul M=${M} K=${K} N=${N}, 1 thread, GFLOP/s: median (best) of ${runs} samples`)
  console.log(`                        relaxed SIMD      plain SIMD     relaxed/plain`)
  for (const [name, call] of shapes) {
    const t = Object.fromEntries(
      VARIANTS.map((v) => [v, timeCall(() => call(k[v]), 20)]),
    ) as Record<KernelVariant, { median: number; best: number }>
    const g = (v: KernelVariant, which: 'median' | 'best'): number => flops / t[v][which] / 1e9
    const cell = (v: KernelVariant): string =>
      `${g(v, 'median').toFixed(1).padStart(6)} (${g(v, 'best').toFixed(1).padStart(5)})`
    const verdict = name.startsWith('NN')
      ? `   target ≥ ${TARGET_GFLOPS}: ${g('relaxed', 'median') >= TARGET_GFLOPS ? 'met' : 'NOT met'}`
      : ''
    console.log(
      `  ${name}  ${cell('relaxed')}    ${cell('simd')}    ${(t.simd.median / t.relaxed.median).toFixed(2).padStart(5)}x${verdict}`,
    )
  }
}

interface Call {
  name: string
  perStep: number
  run: (k: Kernels) => void
}

/** The kernel calls of one training step of a GPT (forward, backward, AdamW), with their shapes. */
function stepCalls(
  alloc: (floats: number) => number,
  cfg: { V: number; C: number; L: number; NH: number; T: number; B: number },
): { calls: Call[]; tokens: number; targets: number } {
  const { V, C, L, NH, T, B } = cfg
  const BT = B * T,
    C3 = 3 * C,
    C4 = 4 * C
  const params = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
  const x = alloc(BT * C),
    y = alloc(BT * C),
    ln = alloc(BT * C),
    mean = alloc(BT),
    rstd = alloc(BT)
  const qkv = alloc(BT * C3),
    att = alloc(B * NH * T * T),
    datt = alloc(B * NH * T * T)
  const fc = alloc(BT * C4),
    fcg = alloc(BT * C4),
    logits = alloc(BT * V),
    losses = alloc(BT)
  const wte = alloc(V * C),
    wpe = alloc(T * C),
    w = alloc(C * C4),
    bias = alloc(C4),
    lnw = alloc(C),
    lnb = alloc(C)
  const dw = alloc(C * C4),
    dbias = alloc(C4),
    dwte = alloc(V * C),
    dwpe = alloc(T * C),
    dlnw = alloc(C),
    dlnb = alloc(C)
  const dx = alloc(BT * C),
    dqkv = alloc(BT * C3),
    dfc = alloc(BT * C4)
  const p = alloc(params),
    g = alloc(params),
    m = alloc(params),
    v = alloc(params)
  const tokens = alloc(BT),
    targets = alloc(BT)
  const calls: Call[] = [
    {
      name: 'encoderForward',
      perStep: 1,
      run: (k) => k.encoderForward(x, tokens, wte, wpe, B, T, C),
    },
    {
      name: 'layernormForward',
      perStep: 2 * L + 1,
      run: (k) => k.layernormForward(ln, mean, rstd, x, lnw, lnb, BT, C),
    },
    {
      name: `matmulNN qkv ${BT}×${C}→${C3}`,
      perStep: L,
      run: (k) => k.matmulNN(qkv, ln, w, bias, BT, C, C3, 0),
    },
    {
      name: 'attentionForward',
      perStep: L,
      run: (k) => k.attentionForward(y, att, qkv, B, T, C, NH),
    },
    {
      name: `matmulNN proj ${BT}×${C}→${C}`,
      perStep: L,
      run: (k) => k.matmulNN(y, ln, w, bias, BT, C, C, 0),
    },
    { name: 'add (residual)', perStep: 2 * L, run: (k) => k.add(x, x, y, BT * C) },
    {
      name: `matmulNN fc ${BT}×${C}→${C4}`,
      perStep: L,
      run: (k) => k.matmulNN(fc, ln, w, bias, BT, C, C4, 0),
    },
    { name: 'geluForward', perStep: L, run: (k) => k.geluForward(fcg, fc, BT * C4) },
    {
      name: `matmulNN fcproj ${BT}×${C4}→${C}`,
      perStep: L,
      run: (k) => k.matmulNN(y, fcg, w, bias, BT, C4, C, 0),
    },
    {
      name: `matmulNT logits ${BT}×${C}·${V}ᵀ`,
      perStep: 1,
      run: (k) => k.matmulNT(logits, ln, wte, BT, C, V, 0),
    },
    {
      name: 'crossEntropyForward',
      perStep: 1,
      run: (k) => k.crossEntropyForward(losses, logits, logits, targets, BT, V),
    },
    {
      name: 'crossEntropyBackward',
      perStep: 1,
      run: (k) => k.crossEntropyBackward(logits, logits, targets, BT, V, 1 / BT),
    },
    {
      name: `matmulNN dx head ${BT}×${V}→${C}`,
      perStep: 1,
      run: (k) => k.matmulNN(dx, logits, wte, 0, BT, V, C, 0),
    },
    {
      name: `matmulTN dwte ${V}×${BT}→${C}`,
      perStep: 1,
      run: (k) => k.matmulTN(dwte, logits, ln, V, BT, C, 1),
    },
    {
      name: 'layernormBackward',
      perStep: 2 * L + 1,
      run: (k) => k.layernormBackward(dx, dlnw, dlnb, y, x, lnw, mean, rstd, BT, C),
    },
    {
      name: `matmulNT dx fcproj ${BT}×${C}→${C4}`,
      perStep: L,
      run: (k) => k.matmulNT(dfc, dx, w, BT, C, C4, 0),
    },
    {
      name: `matmulTN dw fcproj ${C4}×${BT}→${C}`,
      perStep: L,
      run: (k) => k.matmulTN(dw, fcg, dx, C4, BT, C, 1),
    },
    {
      name: 'biasBackward (avg width)',
      perStep: 4 * L,
      run: (k) => k.biasBackward(dbias, dfc, BT, (C3 + C + C4 + C) / 4),
    },
    { name: 'geluBackward', perStep: L, run: (k) => k.geluBackward(dfc, fc, dfc, BT * C4) },
    {
      name: `matmulNT dx fc ${BT}×${C4}→${C}`,
      perStep: L,
      run: (k) => k.matmulNT(dx, dfc, w, BT, C4, C, 0),
    },
    {
      name: `matmulTN dw fc ${C}×${BT}→${C4}`,
      perStep: L,
      run: (k) => k.matmulTN(dw, ln, dfc, C, BT, C4, 1),
    },
    {
      name: `matmulNT dx proj ${BT}×${C}→${C}`,
      perStep: L,
      run: (k) => k.matmulNT(dqkv, dx, w, BT, C, C, 0),
    },
    {
      name: `matmulTN dw proj ${C}×${BT}→${C}`,
      perStep: L,
      run: (k) => k.matmulTN(dw, y, dx, C, BT, C, 1),
    },
    {
      name: 'attentionBackward',
      perStep: L,
      run: (k) => k.attentionBackward(dqkv, datt, dx, qkv, att, B, T, C, NH),
    },
    {
      name: `matmulNT dx qkv ${BT}×${C3}→${C}`,
      perStep: L,
      run: (k) => k.matmulNT(dx, dqkv, w, BT, C3, C, 0),
    },
    {
      name: `matmulTN dw qkv ${C}×${BT}→${C3}`,
      perStep: L,
      run: (k) => k.matmulTN(dw, ln, dqkv, C, BT, C3, 1),
    },
    {
      name: 'encoderBackward',
      perStep: 1,
      run: (k) => k.encoderBackward(dwte, dwpe, dx, tokens, B, T, C),
    },
    { name: 'sumSquares (all grads)', perStep: 1, run: (k) => void k.sumSquares(g, params) },
    {
      name: `adamw (${params} params)`,
      perStep: 1,
      run: (k) => k.adamw(p, g, m, v, params, 1e-3, 0.9, 0.999, 1e-8, 0.01, 0.1, 0.001, 1),
    },
    { name: 'zero (all grads)', perStep: 1, run: (k) => k.zero(g, params) },
  ]
  return { calls, tokens, targets }
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
  // Attention probabilities must be a real softmax for the backward to see realistic data.
  calls.find((c) => c.name === 'attentionForward')?.run(k.relaxed)

  console.log(
    `\ntiny step, batch ${B} (vocab ${cfg.V}, d ${cfg.C}, ${cfg.L} layers, ${cfg.NH} heads, seq ${cfg.T}): µs per call, median of ${runs}`,
  )
  console.log(
    `  ${'kernel'.padEnd(34)} ${'relaxed'.padStart(9)} ${'plain'.padStart(9)}  calls/step  share (relaxed)`,
  )
  const rows = calls.map((c) => ({
    c,
    t: {
      relaxed: timeCall(() => c.run(k.relaxed)).median,
      simd: timeCall(() => c.run(k.simd)).median,
    },
  }))
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
