/**
 * Every WebAssembly kernel (relaxed and plain SIMD builds) against the plain-TypeScript reference, on
 * shapes that are not multiples of the tiles. Each case runs on two copies of one memory (the whole
 * memory filled with random data first); afterwards the two memories must agree everywhere, within a
 * tolerance where a kernel writes and bit for bit where it must not write. The matmuls run both without
 * scratch (the direct kernels) and with it (the packed GEMM from 16 rows on); their scratch lies at the
 * very end of memory, so a matmul that used more than MATMUL_SCRATCH_BYTES would trap, and is left out
 * of the comparison.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Kernels } from '../../../../../src/main/engine/kernels'
import { MATMUL_SCRATCH_BYTES } from '../../../../../src/main/engine/kernels/abi'
import { createReferenceKernels } from '../../../../../src/main/engine/kernels/reference'
import {
  Arena,
  VARIANTS,
  ensureKernelsBuilt,
  expectClose,
  kernelsOf,
  rng,
  sharedMemory,
} from './helpers'

interface Case {
  name: string
  /** Lays out and fills the inputs (may run reference kernels to prepare them); returns the call under test. */
  setup(arena: Arena, rand: () => number, ref: Kernels): (k: Kernels) => number | void
  rtol?: number
  atol?: number
}

/** Where the cases lay their data; the matmul scratch follows, up to the end of the memory. */
const MEMORY_BYTES = 1 << 20
const TOTAL_BYTES = Math.ceil((MEMORY_BYTES + MATMUL_SCRATCH_BYTES) / 65536) * 65536
const SCRATCH = TOTAL_BYTES - MATMUL_SCRATCH_BYTES

const cases: Case[] = []

const matmulShapes: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 33],
  [13, 33, 7],
  [4, 8, 8],
  [5, 3, 12],
  [70, 300, 21],
  [66, 257, 16],
  [9, 5, 4],
  [3, 0, 5],
  // Rows of 4 KiB (N or, for TN, M a multiple of 1024).
  [7, 13, 1024],
  [2, 6, 1024],
  [1024, 7, 33],
  [1024, 9, 12],
  // Packed: edges in rows and columns, more than one block of K (256), of rows (64), of columns (512).
  [16, 1, 8],
  [17, 260, 21],
  [20, 5, 521],
  [130, 40, 1030],
]
for (const [M, K, N] of matmulShapes) {
  for (const [accumulate, packed] of [[0, false], [1, false], [0, true], [1, true]] as const) {
    const scratch = packed ? SCRATCH : 0
    const how = `${accumulate ? ' +=' : ''}${packed ? ', scratch' : ''}`
    for (const withBias of [false, true]) {
      cases.push({
        name: `matmulNN M${M} K${K} N${N}${withBias ? ' +bias' : ''}${how}`,
        setup(arena, rand) {
          const out = arena.random('out', M * N, rand),
            a = arena.random('a', M * K, rand),
            b = arena.random('b', K * N, rand)
          const bias = withBias ? arena.random('bias', N, rand) : 0
          return (k) => k.matmulNN(out, a, b, bias, M, K, N, accumulate, scratch)
        },
      })
    }
    cases.push({
      name: `matmulNT M${M} K${K} N${N}${how}`,
      setup(arena, rand) {
        const out = arena.random('out', M * N, rand),
          a = arena.random('a', M * K, rand),
          b = arena.random('b', N * K, rand)
        return (k) => k.matmulNT(out, a, b, M, K, N, accumulate, scratch)
      },
    })
    cases.push({
      name: `matmulTN M${M} K${K} N${N}${how}`,
      setup(arena, rand) {
        const out = arena.random('out', M * N, rand),
          a = arena.random('a', K * M, rand),
          b = arena.random('b', K * N, rand)
        return (k) => k.matmulTN(out, a, b, M, K, N, accumulate, scratch)
      },
    })
  }
}

for (const [M, N] of [
  [13, 37],
  [1, 3],
  [40, 16],
  [3, 21],
]) {
  cases.push({
    name: `biasBackward M${M} N${N}`,
    setup(arena, rand) {
      const dbias = arena.random('dbias', N, rand),
        dout = arena.random('dout', M * N, rand)
      return (k) => k.biasBackward(dbias, dout, M, N)
    },
  })
}

for (const [B, T, C, V] of [
  [2, 5, 13, 7],
  [1, 3, 16, 4],
  [3, 4, 6, 2],
]) {
  const tokens = (rand: () => number): number[] =>
    Array.from({ length: B * T }, () => Math.floor(rand() * V))
  cases.push({
    name: `encoderForward B${B} T${T} C${C}`,
    setup(arena, rand) {
      const out = arena.random('out', B * T * C, rand),
        tok = arena.ints('tokens', tokens(rand))
      const wte = arena.random('wte', V * C, rand),
        wpe = arena.random('wpe', T * C, rand)
      return (k) => k.encoderForward(out, tok, wte, wpe, B, T, C)
    },
  })
  cases.push({
    name: `encoderBackward B${B} T${T} C${C} (repeated tokens accumulate)`,
    setup(arena, rand) {
      const dwte = arena.random('dwte', V * C, rand),
        dwpe = arena.random('dwpe', T * C, rand)
      const dout = arena.random('dout', B * T * C, rand),
        tok = arena.ints('tokens', tokens(rand))
      return (k) => k.encoderBackward(dwte, dwpe, dout, tok, B, T, C)
    },
  })
}

for (const [N, C] of [
  [5, 13],
  [3, 64],
  [4, 7],
  [2, 3],
]) {
  cases.push({
    name: `layernormForward N${N} C${C}`,
    setup(arena, rand) {
      const out = arena.random('out', N * C, rand),
        mean = arena.random('mean', N, rand),
        rstd = arena.random('rstd', N, rand)
      const inp = arena.random('inp', N * C, rand, 3),
        w = arena.random('weight', C, rand),
        b = arena.random('bias', C, rand)
      return (k) => k.layernormForward(out, mean, rstd, inp, w, b, N, C)
    },
  })
  cases.push({
    name: `layernormBackward N${N} C${C}`,
    setup(arena, rand, ref) {
      const out = arena.random('out', N * C, rand),
        mean = arena.random('mean', N, rand),
        rstd = arena.random('rstd', N, rand)
      const inp = arena.random('inp', N * C, rand, 3),
        w = arena.random('weight', C, rand),
        b = arena.random('bias', C, rand)
      ref.layernormForward(out, mean, rstd, inp, w, b, N, C)
      const dinp = arena.random('dinp', N * C, rand),
        dw = arena.random('dweight', C, rand),
        db = arena.random('dbias', C, rand)
      const dout = arena.random('dout', N * C, rand)
      return (k) => k.layernormBackward(dinp, dw, db, dout, inp, w, mean, rstd, N, C)
    },
  })
}

for (const n of [37, 4, 1, 64]) {
  cases.push({
    name: `geluForward n${n}`,
    setup(arena, rand) {
      const out = arena.random('out', n, rand),
        inp = arena.random('inp', n, rand, 6)
      return (k) => k.geluForward(out, inp, n)
    },
  })
  cases.push({
    name: `geluBackward n${n}`,
    setup(arena, rand) {
      const dinp = arena.random('dinp', n, rand),
        inp = arena.random('inp', n, rand, 6),
        dout = arena.random('dout', n, rand)
      return (k) => k.geluBackward(dinp, inp, dout, n)
    },
  })
}

for (const [B, T, C, NH] of [
  [2, 7, 15, 3],
  [1, 9, 40, 2],
  [2, 5, 64, 4],
  [1, 1, 8, 2],
  [1, 13, 12, 1],
  // More than one block of query rows (64) and of key rows.
  [1, 70, 16, 2],
  [2, 130, 12, 3],
]) {
  const shape = `B${B} T${T} C${C} NH${NH}`
  cases.push({
    name: `attentionForward ${shape}`,
    setup(arena, rand) {
      const out = arena.random('out', B * T * C, rand),
        att = arena.random('att', B * NH * T * T, rand)
      const qkv = arena.random('qkv', B * T * 3 * C, rand, 2)
      return (k) => k.attentionForward(out, att, qkv, B, T, C, NH, SCRATCH)
    },
  })
  cases.push({
    name: `attentionStep ${shape} (last position)`,
    setup(arena, rand) {
      const out = arena.random('out', C, rand),
        att = arena.random('att', NH * T, rand)
      const qkv = arena.random('qkv', T * 3 * C, rand, 2)
      return (k) => k.attentionStep(out, att, qkv, T - 1, C, NH, SCRATCH)
    },
  })
  cases.push({
    name: `attentionBackward ${shape}`,
    setup(arena, rand, ref) {
      const out = arena.random('out', B * T * C, rand),
        att = arena.random('att', B * NH * T * T, rand)
      const qkv = arena.random('qkv', B * T * 3 * C, rand, 2)
      ref.attentionForward(out, att, qkv, B, T, C, NH, 0)
      const dqkv = arena.random('dqkv', B * T * 3 * C, rand),
        datt = arena.random('datt', B * NH * T * T, rand)
      const dout = arena.random('dout', B * T * C, rand)
      return (k) => k.attentionBackward(dqkv, datt, dout, qkv, att, B, T, C, NH, SCRATCH)
    },
  })
}

for (const [N, V] of [
  [5, 37],
  [3, 4],
  [2, 1],
  [4, 130],
]) {
  const targets = (rand: () => number): number[] =>
    Array.from({ length: N }, (_, n) => (n === 1 ? -1 : Math.floor(rand() * V)))
  cases.push({
    name: `crossEntropyForward N${N} V${V} (row 1 ignored)`,
    setup(arena, rand) {
      const losses = arena.random('losses', N, rand),
        probs = arena.random('probs', N * V, rand)
      const logits = arena.random('logits', N * V, rand, 8),
        tgt = arena.ints('targets', targets(rand))
      return (k) => k.crossEntropyForward(losses, probs, logits, tgt, N, V)
    },
  })
  cases.push({
    name: `crossEntropyForward N${N} V${V}, probs aliasing logits`,
    setup(arena, rand) {
      const losses = arena.random('losses', N, rand),
        logits = arena.random('logits', N * V, rand, 8)
      const tgt = arena.ints('targets', targets(rand))
      return (k) => k.crossEntropyForward(losses, logits, logits, tgt, N, V)
    },
  })
  for (const alias of [false, true]) {
    cases.push({
      name: `crossEntropyBackward N${N} V${V}${alias ? ', dlogits aliasing probs' : ''}`,
      setup(arena, rand, ref) {
        const losses = arena.random('losses', N, rand),
          probs = arena.random('probs', N * V, rand)
        const logits = arena.random('logits', N * V, rand, 8),
          tgt = arena.ints('targets', targets(rand))
        ref.crossEntropyForward(losses, probs, logits, tgt, N, V)
        const dlogits = alias ? probs : arena.random('dlogits', N * V, rand)
        return (k) => k.crossEntropyBackward(dlogits, probs, tgt, N, V, 0.37)
      },
    })
  }
}

for (const n of [1, 3, 4, 37, 1000]) {
  cases.push({
    name: `add n${n}`,
    setup(arena, rand) {
      const out = arena.random('out', n, rand),
        a = arena.random('a', n, rand),
        b = arena.random('b', n, rand)
      return (k) => k.add(out, a, b, n)
    },
  })
  cases.push({
    name: `add n${n}, out aliasing a`,
    setup(arena, rand) {
      const a = arena.random('a', n, rand),
        b = arena.random('b', n, rand)
      return (k) => k.add(a, a, b, n)
    },
  })
  cases.push({
    name: `accumulate n${n}`,
    setup(arena, rand) {
      const out = arena.random('out', n, rand),
        a = arena.random('a', n, rand)
      return (k) => k.accumulate(out, a, n)
    },
  })
  cases.push({
    name: `scale n${n}`,
    setup(arena, rand) {
      const x = arena.random('x', n, rand)
      return (k) => k.scale(x, n, -1.75)
    },
  })
  cases.push({
    name: `sumSquares n${n}`,
    setup(arena, rand) {
      const x = arena.random('x', n, rand, 100)
      return (k) => k.sumSquares(x, n)
    },
    rtol: 1e-9,
  })
  cases.push({
    name: `zero n${n}`,
    setup(arena, rand) {
      const x = arena.random('x', n, rand)
      return (k) => k.zero(x, n)
    },
  })
  for (const weightDecay of [0, 0.1]) {
    cases.push({
      name: `adamw n${n} wd${weightDecay}`,
      setup(arena, rand) {
        const params = arena.random('params', n, rand),
          grads = arena.random('grads', n, rand)
        const m = arena.random('m', n, rand, 0.1),
          v = arena.alloc('v', n)
        const vs = arena.f32(v)
        for (let i = 0; i < n; i++) vs[i] = rand() * 0.01
        const t = 7
        return (k) =>
          k.adamw(
            params,
            grads,
            m,
            v,
            n,
            0.9,
            1 - 0.9,
            0.95,
            1 - 0.95,
            1e-8,
            1 - 1e-3 * weightDecay,
            1e-3 / (1 - 0.9 ** t),
            Math.sqrt(1 - 0.95 ** t),
            0.5,
          )
      },
    })
  }
}

// Two memories reused by every case: one for the WebAssembly kernels, one for the reference.
const wasmMemory = sharedMemory(TOTAL_BYTES)
const refMemory = sharedMemory(TOTAL_BYTES)

beforeAll(() => ensureKernelsBuilt())

describe.each(VARIANTS)('kernels (%s build) match the reference', (variant) => {
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, index) => {
    const fill = rng(1000 + index)
    const words = new Float32Array(wasmMemory.buffer)
    for (let i = 0; i < words.length; i++) words[i] = fill() * 2 - 1
    const arena = new Arena(wasmMemory)
    const run = c.setup(arena, rng(index), createReferenceKernels(wasmMemory))

    new Uint8Array(refMemory.buffer).set(new Uint8Array(wasmMemory.buffer))

    const got = run(await kernelsOf(wasmMemory, variant))
    const want = run(createReferenceKernels(refMemory))
    const tol = { rtol: c.rtol ?? 2e-4, atol: c.atol ?? 2e-5 }
    if (typeof want === 'number') expectClose([got as number], [want], tol, 'return value')
    else expect(got).toBeUndefined()
    expectClose(
      new Float32Array(wasmMemory.buffer, 0, SCRATCH / 4),
      new Float32Array(refMemory.buffer, 0, SCRATCH / 4),
      tol,
      'memory',
      (i) => arena.regionAt(i * 4),
    )
  })
})

describe.each(VARIANTS)('attentionStep (%s build)', (variant) => {
  it.each([
    [11, 24, 3],
    [150, 40, 2], // past one block of query rows (64), and rows that end inside a block
  ])('gives exactly attentionForward\'s row t at every t (generation with a cache equals recomputing): T%i C%i NH%i', async (T, C, NH) => {
    const arena = new Arena(wasmMemory)
    const rand = rng(77)
    const qkv = arena.random('qkv', T * 3 * C, rand, 2)
    const full = arena.alloc('full', T * C),
      att = arena.alloc('att', NH * T * T)
    const step = arena.alloc('step', C),
      scratch = arena.alloc('scratch', NH * T)
    const k = await kernelsOf(wasmMemory, variant)
    k.attentionForward(full, att, qkv, 1, T, C, NH, SCRATCH)
    for (let t = 0; t < T; t++) {
      k.attentionStep(step, scratch, qkv, t, C, NH, SCRATCH)
      expect(Array.from(arena.f32(step))).toEqual(Array.from(arena.f32(full).subarray(t * C, (t + 1) * C)))
    }
  })
})
