/**
 * The kernels Llama adds (RMSNorm, rotary embeddings, SwiGLU, grouped-query attention, the embedding
 * without positions, a row bias): each backward against central finite differences of a float64 forward,
 * each forward against the plain-TypeScript reference, for both builds and on shapes that are not
 * multiples of four. Backward kernels add to gradient buffers that start random.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Kernels } from '../../../../../src/main/engine/kernels'
import { MATMUL_SCRATCH_BYTES } from '../../../../../src/main/engine/kernels/abi'
import { createReferenceKernels } from '../../../../../src/main/engine/kernels/reference'
import {
  Arena, VARIANTS, dot, ensureKernelsBuilt, expectClose, expectGradient, finiteDifferences, kernelsOf, rng, sharedMemory,
} from './helpers'

const memory = sharedMemory(1 << 21)
const scratch = memory.buffer.byteLength - MATMUL_SCRATCH_BYTES

function setup(seed: number): { arena: Arena; rand: () => number } {
  new Uint8Array(memory.buffer).fill(0)
  return { arena: new Arena(memory), rand: rng(seed) }
}
const copy = (arena: Arena, ptr: number): Float64Array => Float64Array.from(arena.f32(ptr))
const snapshot = (arena: Arena, ptr: number): Float32Array => Float32Array.from(arena.f32(ptr))
const delta = (arena: Arena, ptr: number, before: Float32Array): Float64Array =>
  Float64Array.from(arena.f32(ptr), (v, i) => v - before[i])

// ---- float64 forwards ----

function rmsnorm64(x: Float64Array, w: Float64Array, N: number, C: number, eps: number): Float64Array {
  const out = new Float64Array(N * C)
  for (let n = 0; n < N; n++) {
    let ss = 0
    for (let c = 0; c < C; c++) ss += x[n * C + c] ** 2
    const r = 1 / Math.sqrt(ss / C + eps)
    for (let c = 0; c < C; c++) out[n * C + c] = w[c] * x[n * C + c] * r
  }
  return out
}

/** cos | sin per position, as the Llama shard writes it. */
function ropeTable(T: number, hs: number, theta: number): Float32Array {
  const table = new Float32Array(T * hs)
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < hs / 2; i++) {
      const angle = t / theta ** ((2 * i) / hs)
      table[t * hs + i] = Math.cos(angle)
      table[t * hs + hs / 2 + i] = Math.sin(angle)
    }
  }
  return table
}

function rope64(x: Float64Array, table: Float32Array, B: number, T: number, ld: number, heads: number, hs: number): Float64Array {
  const out = Float64Array.from(x)
  const half = hs / 2
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < half; i++) {
          const p = (b * T + t) * ld + h * hs + i
          const c = table[t * hs + i], s = table[t * hs + half + i]
          out[p] = x[p] * c - x[p + half] * s
          out[p + half] = x[p + half] * c + x[p] * s
        }
      }
    }
  }
  return out
}

function swiglu64(gu: Float64Array, N: number, I: number): Float64Array {
  const out = new Float64Array(N * I)
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < I; i++) {
      const g = gu[n * 2 * I + i]
      out[n * I + i] = (g / (1 + Math.exp(-g))) * gu[n * 2 * I + I + i]
    }
  }
  return out
}

function gqa64(qkv: Float64Array, B: number, T: number, NH: number, NKV: number, hs: number): Float64Array {
  const C = NH * hs, ld = C + 2 * NKV * hs, group = NH / NKV
  const out = new Float64Array(B * T * C)
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const kv = Math.floor(h / group)
      for (let t = 0; t < T; t++) {
        const scores: number[] = []
        for (let t2 = 0; t2 <= t; t2++) {
          let s = 0
          for (let i = 0; i < hs; i++) s += qkv[(b * T + t) * ld + h * hs + i] * qkv[(b * T + t2) * ld + C + kv * hs + i]
          scores.push(s / Math.sqrt(hs))
        }
        const mx = Math.max(...scores)
        const e = scores.map((s) => Math.exp(s - mx))
        const sum = e.reduce((x, y) => x + y, 0)
        for (let i = 0; i < hs; i++) {
          let s = 0
          for (let t2 = 0; t2 <= t; t2++) s += (e[t2] / sum) * qkv[(b * T + t2) * ld + C + NKV * hs + kv * hs + i]
          out[(b * T + t) * C + h * hs + i] = s
        }
      }
    }
  }
  return out
}

beforeAll(() => ensureKernelsBuilt())

describe.each(VARIANTS)('Llama kernels (%s build)', (variant) => {
  let k: Kernels
  let ref: Kernels
  beforeAll(async () => {
    k = await kernelsOf(memory, variant)
    ref = createReferenceKernels(memory)
  })

  it.each([[5, 13], [3, 16], [2, 7]])('rmsnorm forward equals the reference and the float64 definition; backward matches finite differences: N%i C%i', (N, C) => {
    const { arena, rand } = setup(N * 17 + C)
    const eps = 1e-6
    const inp = arena.random('inp', N * C, rand, 2), weight = arena.random('weight', C, rand)
    const out = arena.alloc('out', N * C), rstd = arena.alloc('rstd', N), outRef = arena.alloc('outRef', N * C), rstdRef = arena.alloc('rstdRef', N)
    const w = arena.random('dout', N * C, rand)
    const dinp = arena.random('dinp', N * C, rand), dweight = arena.random('dweight', C, rand)
    const before = [snapshot(arena, dinp), snapshot(arena, dweight)]
    k.rmsnormForward(out, rstd, inp, weight, N, C, eps)
    ref.rmsnormForward(outRef, rstdRef, inp, weight, N, C, eps)
    const [X, G, W] = [copy(arena, inp), copy(arena, weight), copy(arena, w)]
    expectClose(arena.f32(out), arena.f32(outRef), { rtol: 1e-5, atol: 1e-6 }, 'out vs reference')
    expectClose(arena.f32(out), rmsnorm64(X, G, N, C, eps), { rtol: 1e-5, atol: 1e-6 }, 'out vs float64')
    k.rmsnormBackward(dinp, dweight, w, inp, weight, rstd, N, C)
    const loss = (): number => dot(W, rmsnorm64(X, G, N, C, eps))
    expectGradient(delta(arena, dinp, before[0]), finiteDifferences(loss, X), 'dinp')
    expectGradient(delta(arena, dweight, before[1]), finiteDifferences(loss, G), 'dweight')
  })

  it.each([
    [2, 5, 30, 6, 4],
    [1, 7, 7, 6, 1],
    [2, 3, 22, 10, 2],
  ])('rope B%i T%i, rows %i floats apart, hs %i, %i heads from column 0: forward as defined, inverse is its transpose', (B, T, ld, hs, heads) => {
    const { arena, rand } = setup(B * T * ld + hs)
    const table = arena.alloc('table', T * hs)
    const tableData = ropeTable(T, hs, 10000)
    arena.f32(table).set(tableData)
    const x = arena.random('x', B * T * ld, rand)
    const X = copy(arena, x)
    k.rope(x, table, B, T, ld, heads, hs, 0)
    expectClose(arena.f32(x), rope64(X, tableData, B, T, ld, heads, hs), { rtol: 1e-5, atol: 1e-6 }, 'forward')
    // Backward: the inverse rotation of w is ∂(w · rope(x))/∂x.
    const w = arena.random('w', B * T * ld, rand)
    const W = copy(arena, w)
    k.rope(w, table, B, T, ld, heads, hs, 1)
    const fd = finiteDifferences(() => dot(W, rope64(X, tableData, B, T, ld, heads, hs)), X)
    expectGradient(arena.f32(w), fd, 'inverse')
    // The reference agrees.
    const y = arena.alloc('y', B * T * ld)
    arena.f32(y).set(Float32Array.from(X))
    ref.rope(y, table, B, T, ld, heads, hs, 0)
    const xNow = arena.f32(x)
    arena.f32(x).set(Float32Array.from(X))
    k.rope(x, table, B, T, ld, heads, hs, 0)
    expectClose(xNow, arena.f32(y), { rtol: 1e-6, atol: 1e-7 }, 'vs reference')
  })

  it.each([[3, 13], [2, 4], [1, 1]])('swiglu N%i I%i: forward as defined, backward matches finite differences', (N, I) => {
    const { arena, rand } = setup(N * 5 + I)
    const gu = arena.random('gu', N * 2 * I, rand, 4)
    const out = arena.alloc('out', N * I), outRef = arena.alloc('outRef', N * I)
    const w = arena.random('dout', N * I, rand), dgu = arena.random('dgu', N * 2 * I, rand)
    const before = snapshot(arena, dgu)
    k.swigluForward(out, gu, N, I)
    ref.swigluForward(outRef, gu, N, I)
    const [GU, W] = [copy(arena, gu), copy(arena, w)]
    expectClose(arena.f32(out), swiglu64(GU, N, I), { rtol: 1e-5, atol: 1e-6 }, 'forward')
    expectClose(arena.f32(out), arena.f32(outRef), { rtol: 1e-5, atol: 1e-6 }, 'vs reference')
    k.swigluBackward(dgu, gu, w, N, I)
    expectGradient(delta(arena, dgu, before), finiteDifferences(() => dot(W, swiglu64(GU, N, I)), GU), 'dgu')
  })

  it.each([
    [2, 7, 4, 2, 6],
    [1, 9, 6, 3, 4],
    [1, 67, 4, 1, 8],
    [2, 5, 3, 3, 5],
  ])('grouped attention B%i T%i NH%i NKV%i hs%i: forward as defined and equal to each step; dK and dV summed over the group', (B, T, NH, NKV, hs) => {
    const { arena, rand } = setup(B * T * NH + NKV * 7 + hs)
    const C = NH * hs, ld = C + 2 * NKV * hs
    const qkv = arena.random('qkv', B * T * ld, rand, 1.5)
    const out = arena.alloc('out', B * T * C), att = arena.alloc('att', B * NH * T * T)
    const w = arena.random('dout', B * T * C, rand)
    const dqkv = arena.random('dqkv', B * T * ld, rand), datt = arena.alloc('datt', B * NH * T * T)
    const before = snapshot(arena, dqkv)
    k.groupedAttentionForward(out, att, qkv, B, T, NH, NKV, hs, scratch)
    const QKV = copy(arena, qkv)
    expectClose(arena.f32(out), gqa64(QKV, B, T, NH, NKV, hs), { rtol: 1e-4, atol: 1e-5 }, 'forward')
    // A generation step at position t of window 0 equals the full forward's row t, bit for bit.
    const stepOut = arena.alloc('stepOut', C), stepAtt = arena.alloc('stepAtt', NH * T)
    const full = arena.f32(out)
    for (const t of [0, T - 1]) {
      k.groupedAttentionStep(stepOut, stepAtt, qkv, t, NH, NKV, hs, scratch)
      expect(Array.from(arena.f32(stepOut))).toEqual(Array.from(full.subarray(t * C, t * C + C)))
    }
    k.groupedAttentionBackward(dqkv, datt, w, qkv, att, B, T, NH, NKV, hs, scratch)
    const W = copy(arena, w)
    expectGradient(delta(arena, dqkv, before), finiteDifferences(() => dot(W, gqa64(QKV, B, T, NH, NKV, hs)), QKV), 'dqkv')
  })

  it('grouped attention with NKV = NH is attentionForward/Backward bit for bit', () => {
    const { arena, rand } = setup(99)
    const B = 2, T = 70, NH = 3, hs = 8, C = NH * hs
    const qkv = arena.random('qkv', B * T * 3 * C, rand, 1.5), w = arena.random('dout', B * T * C, rand)
    const outs = [arena.alloc('o1', B * T * C), arena.alloc('o2', B * T * C)]
    const atts = [arena.alloc('a1', B * NH * T * T), arena.alloc('a2', B * NH * T * T)]
    const dqkvs = [arena.alloc('d1', B * T * 3 * C), arena.alloc('d2', B * T * 3 * C)]
    const datt = arena.alloc('datt', B * NH * T * T)
    k.attentionForward(outs[0], atts[0], qkv, B, T, C, NH, scratch)
    k.attentionBackward(dqkvs[0], datt, w, qkv, atts[0], B, T, C, NH, scratch)
    k.groupedAttentionForward(outs[1], atts[1], qkv, B, T, NH, NH, hs, scratch)
    k.groupedAttentionBackward(dqkvs[1], datt, w, qkv, atts[1], B, T, NH, NH, hs, scratch)
    expect(arena.f32(outs[1])).toEqual(arena.f32(outs[0]))
    expect(arena.f32(dqkvs[1])).toEqual(arena.f32(dqkvs[0]))
  })

  it('embedding forward copies rows, backward adds each row to its token (repeats accumulate); biasForward adds a row', () => {
    const { arena, rand } = setup(5)
    const N = 6, C = 5, V = 4
    const tokens = [3, 1, 3, 0, 2, 3]
    const tok = arena.ints('tokens', tokens)
    const wte = arena.random('wte', V * C, rand), out = arena.alloc('out', N * C)
    k.embeddingForward(out, tok, wte, N, C)
    const W = arena.f32(wte), O = arena.f32(out)
    for (let n = 0; n < N; n++) expect(Array.from(O.subarray(n * C, n * C + C))).toEqual(Array.from(W.subarray(tokens[n] * C, tokens[n] * C + C)))
    const dout = arena.random('dout', N * C, rand), dwte = arena.random('dwte', V * C, rand)
    const before = snapshot(arena, dwte)
    k.embeddingBackward(dwte, dout, tok, N, C)
    const D = copy(arena, dout)
    const expected = Float64Array.from(before)
    tokens.forEach((t, n) => { for (let c = 0; c < C; c++) expected[t * C + c] += D[n * C + c] })
    expectClose(arena.f32(dwte), expected, { rtol: 1e-6, atol: 1e-6 }, 'dwte')
    const bias = arena.random('bias', C, rand)
    const rows = snapshot(arena, out)
    k.biasForward(out, bias, N, C)
    const Bv = arena.f32(bias)
    expectClose(arena.f32(out), Float64Array.from(rows, (v, i) => v + Bv[i % C]), { rtol: 1e-6, atol: 1e-7 }, 'biasForward')
  })
})
