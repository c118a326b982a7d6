/**
 * The kernels of packed windows (several segments — conversations — per window, positions restarting at
 * each): segmented attention, rope and the GPT-2 encoder at given positions. A packed segment must give
 * what it gives alone in its own window (within float32 noise), nothing may flow across segments (the
 * gradient of one segment's outputs is exactly zero on every other segment's inputs, and the backward
 * matches finite differences of a float64 block-diagonal forward), and without positions the kernels
 * are the plain ones bit for bit.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Kernels } from '../../../../../src/main/engine/kernels'
import { MATMUL_SCRATCH_BYTES } from '../../../../../src/main/engine/kernels/abi'
import { createReferenceKernels } from '../../../../../src/main/engine/kernels/reference'
import {
  Arena, VARIANTS, dot, ensureKernelsBuilt, expectClose, expectGradient, finiteDifferences, kernelsOf, rng, sharedMemory,
} from './helpers'

const memory = sharedMemory(1 << 23)
const scratch = memory.buffer.byteLength - MATMUL_SCRATCH_BYTES

function setup(seed: number): { arena: Arena; rand: () => number } {
  new Uint8Array(memory.buffer).fill(0)
  return { arena: new Arena(memory), rand: rng(seed) }
}

/** Positions of a window laid out as segments of the given lengths (they sum to T). */
function positionsOf(lengths: readonly number[]): number[] {
  return lengths.flatMap((n) => Array.from({ length: n }, (_, i) => i))
}

/** Float64 block-diagonal causal grouped attention: what the finite differences differentiate. */
function segmented64(qkv: Float64Array, positions: readonly number[], T: number, NH: number, NKV: number, hs: number): Float64Array {
  const C = NH * hs, ld = C + 2 * NKV * hs, group = NH / NKV, scale = 1 / Math.sqrt(hs)
  const out = new Float64Array(T * C)
  for (let h = 0; h < NH; h++) {
    const kv = Math.floor(h / group) * hs
    for (let t = 0; t < T; t++) {
      const s0 = t - positions[t]
      const scores: number[] = []
      for (let t2 = s0; t2 <= t; t2++) {
        let s = 0
        for (let i = 0; i < hs; i++) s += qkv[t * ld + h * hs + i] * qkv[t2 * ld + C + kv + i]
        scores.push(s * scale)
      }
      const m = Math.max(...scores)
      const e = scores.map((s) => Math.exp(s - m))
      const sum = e.reduce((a, b) => a + b, 0)
      for (let i = 0; i < hs; i++) {
        let s = 0
        for (let t2 = s0; t2 <= t; t2++) s += (e[t2 - s0] / sum) * qkv[t2 * ld + C + NKV * hs + kv + i]
        out[t * C + h * hs + i] = s
      }
    }
  }
  return out
}

beforeAll(() => ensureKernelsBuilt())

describe.each(VARIANTS)('packed-window kernels (%s build)', (variant) => {
  let k: Kernels
  let ref: Kernels

  beforeAll(async () => {
    k = await kernelsOf(memory, variant)
    ref = createReferenceKernels(memory)
  })

  it.each([
    // Segments crossing the 64-row blocks, one of a single row, and a tail of padding-like rows.
    [[5, 70, 1, 9], 3, 1, 8],
    [[64, 64, 3], 4, 2, 6],
    [[1, 1, 1, 1, 1], 2, 2, 4],
    [[130], 2, 1, 4],
  ])('segments %j NH%i NKV%i hs%i: each segment as alone in its own window, forward and backward', (lengths, NH, NKV, hs) => {
    const { arena, rand } = setup(lengths.length * 31 + NH + hs)
    const T = lengths.reduce((a, b) => a + b, 0)
    const C = NH * hs, ld = C + 2 * NKV * hs
    const qkv = arena.random('qkv', T * ld, rand, 1.5)
    const positions = arena.ints('positions', positionsOf(lengths))
    const dout = arena.random('dout', T * C, rand)
    const out = arena.alloc('out', T * C), att = arena.alloc('att', NH * T * T)
    const dqkv = arena.alloc('dqkv', T * ld), datt = arena.alloc('datt', NH * T * T)
    const aloneOut = arena.alloc('aloneOut', T * C), aloneAtt = arena.alloc('aloneAtt', NH * T * T)
    const aloneDqkv = arena.alloc('aloneDqkv', T * ld), aloneDatt = arena.alloc('aloneDatt', NH * T * T)
    k.segmentedAttentionForward(out, att, qkv, positions, 1, T, NH, NKV, hs, scratch)
    k.segmentedAttentionBackward(dqkv, datt, dout, qkv, att, positions, 1, T, NH, NKV, hs, scratch)
    let start = 0
    for (const n of lengths) {
      // The segment alone: a window of its own n rows (qkv rows are contiguous, so a pointer offset).
      const rowsAt = (ptr: number, width: number): number => ptr + start * width * 4
      k.zero(aloneDqkv, T * ld)
      k.groupedAttentionForward(aloneOut, aloneAtt, rowsAt(qkv, ld), 1, n, NH, NKV, hs, scratch)
      k.groupedAttentionBackward(aloneDqkv, aloneDatt, rowsAt(dout, C), rowsAt(qkv, ld), aloneAtt, 1, n, NH, NKV, hs, scratch)
      const tol = { rtol: 1e-5, atol: 1e-6 }
      expectClose(arena.f32(out).subarray(start * C, (start + n) * C), arena.f32(aloneOut).subarray(0, n * C), tol, `out of segment at ${start}`)
      expectClose(arena.f32(dqkv).subarray(start * ld, (start + n) * ld), arena.f32(aloneDqkv).subarray(0, n * ld), tol, `dqkv of segment at ${start}`)
      start += n
    }
    // The reference's segmented kernels agree.
    const refOut = arena.alloc('refOut', T * C), refAtt = arena.alloc('refAtt', NH * T * T)
    const refDqkv = arena.alloc('refDqkv', T * ld), refDatt = arena.alloc('refDatt', NH * T * T)
    ref.segmentedAttentionForward(refOut, refAtt, qkv, positions, 1, T, NH, NKV, hs, 0)
    ref.segmentedAttentionBackward(refDqkv, refDatt, dout, qkv, refAtt, positions, 1, T, NH, NKV, hs, 0)
    expectClose(arena.f32(out), arena.f32(refOut), { rtol: 1e-4, atol: 1e-5 }, 'out vs reference')
    expectClose(arena.f32(att), arena.f32(refAtt), { rtol: 1e-4, atol: 1e-6 }, 'att vs reference')
    expectClose(arena.f32(dqkv), arena.f32(refDqkv), { rtol: 1e-4, atol: 1e-5 }, 'dqkv vs reference')
  })

  it('nothing flows across segments: the gradient of one segment\'s outputs is exactly zero elsewhere, and matches finite differences', () => {
    const { arena, rand } = setup(7)
    const lengths = [4, 6, 3], T = 13, NH = 2, NKV = 1, hs = 4
    const C = NH * hs, ld = C + 2 * NKV * hs
    const qkv = arena.random('qkv', T * ld, rand, 1.5)
    const pos = positionsOf(lengths)
    const positions = arena.ints('positions', pos)
    const out = arena.alloc('out', T * C), att = arena.alloc('att', NH * T * T)
    const dqkv = arena.alloc('dqkv', T * ld), datt = arena.alloc('datt', NH * T * T)
    // Loss = w · outputs of the middle segment (rows 4…9) only.
    const dout = arena.alloc('dout', T * C)
    const W = new Float64Array(T * C)
    for (let i = 4 * C; i < 10 * C; i++) W[i] = rand() * 2 - 1
    arena.f32(dout).set(Float32Array.from(W))
    k.segmentedAttentionForward(out, att, qkv, positions, 1, T, NH, NKV, hs, scratch)
    k.segmentedAttentionBackward(dqkv, datt, dout, qkv, att, positions, 1, T, NH, NKV, hs, scratch)
    const grad = arena.f32(dqkv)
    for (let i = 0; i < T * ld; i++) {
      if (i < 4 * ld || i >= 10 * ld) expect(grad[i], `dqkv[${i}] outside the segment`).toBe(0)
    }
    const QKV = Float64Array.from(arena.f32(qkv))
    expectClose(arena.f32(out), segmented64(QKV, pos, T, NH, NKV, hs), { rtol: 1e-4, atol: 1e-5 }, 'forward vs float64')
    const fd = finiteDifferences(() => dot(W, segmented64(QKV, pos, T, NH, NKV, hs)), QKV)
    expectGradient(grad, fd, 'dqkv vs finite differences')
    // The finite differences see no dependence across segments either.
    for (let i = 0; i < T * ld; i++) if (i < 4 * ld || i >= 10 * ld) expect(Math.abs(fd[i])).toBeLessThan(1e-9)
  })

  it('with no positions the segmented kernels are the grouped ones bit for bit', () => {
    const { arena, rand } = setup(3)
    const B = 2, T = 70, NH = 2, NKV = 1, hs = 8, C = NH * hs, ld = C + 2 * NKV * hs
    const qkv = arena.random('qkv', B * T * ld, rand, 1.5), w = arena.random('dout', B * T * C, rand)
    const outs = [arena.alloc('o1', B * T * C), arena.alloc('o2', B * T * C)]
    const atts = [arena.alloc('a1', B * NH * T * T), arena.alloc('a2', B * NH * T * T)]
    const dqkvs = [arena.alloc('d1', B * T * ld), arena.alloc('d2', B * T * ld)]
    const datt = arena.alloc('datt', B * NH * T * T)
    k.groupedAttentionForward(outs[0], atts[0], qkv, B, T, NH, NKV, hs, scratch)
    k.groupedAttentionBackward(dqkvs[0], datt, w, qkv, atts[0], B, T, NH, NKV, hs, scratch)
    k.segmentedAttentionForward(outs[1], atts[1], qkv, 0, B, T, NH, NKV, hs, scratch)
    k.segmentedAttentionBackward(dqkvs[1], datt, w, qkv, atts[1], 0, B, T, NH, NKV, hs, scratch)
    expect(arena.f32(outs[1])).toEqual(arena.f32(outs[0]))
    expect(arena.f32(dqkvs[1])).toEqual(arena.f32(dqkvs[0]))
  })

  it('a window of one segment per row position (positions = t) is the plain kernels bit for bit', () => {
    const { arena, rand } = setup(11)
    const B = 2, T = 9, NH = 2, hs = 4, C = NH * hs, ld = 3 * C, V = 5
    const qkv = arena.random('qkv', B * T * ld, rand, 1.5), w = arena.random('dout', B * T * C, rand)
    const positions = arena.ints('positions', [...positionsOf([T]), ...positionsOf([T])])
    const outs = [arena.alloc('o1', B * T * C), arena.alloc('o2', B * T * C)]
    const atts = [arena.alloc('a1', B * NH * T * T), arena.alloc('a2', B * NH * T * T)]
    const dqkvs = [arena.alloc('d1', B * T * ld), arena.alloc('d2', B * T * ld)]
    const datt = arena.alloc('datt', B * NH * T * T)
    k.attentionForward(outs[0], atts[0], qkv, B, T, C, NH, scratch)
    k.attentionBackward(dqkvs[0], datt, w, qkv, atts[0], B, T, C, NH, scratch)
    k.segmentedAttentionForward(outs[1], atts[1], qkv, positions, B, T, NH, NH, hs, scratch)
    k.segmentedAttentionBackward(dqkvs[1], datt, w, qkv, atts[1], positions, B, T, NH, NH, hs, scratch)
    expect(arena.f32(outs[1])).toEqual(arena.f32(outs[0]))
    expect(arena.f32(dqkvs[1])).toEqual(arena.f32(dqkvs[0]))
    // The encoder at positions t is the plain encoder.
    const tok = arena.ints('tokens', Array.from({ length: B * T }, (_, i) => (i * 3) % V))
    const wte = arena.random('wte', V * C, rand), wpe = arena.random('wpe', T * C, rand)
    const enc = [arena.alloc('e1', B * T * C), arena.alloc('e2', B * T * C)]
    k.encoderForward(enc[0], tok, wte, wpe, B, T, C)
    k.encoderForwardAt(enc[1], tok, positions, wte, wpe, B, T, C)
    expect(arena.f32(enc[1])).toEqual(arena.f32(enc[0]))
  })

  it('rope and the encoder at restarting positions: each segment as alone, backward adds to its own positions', () => {
    const { arena, rand } = setup(5)
    const lengths = [3, 5, 2], T = 10, hs = 6, heads = 2, ld = 14, C = 4, V = 6
    const pos = positionsOf(lengths)
    const positions = arena.ints('positions', pos)
    const table = arena.random('table', 5 * hs, rand)
    const x = arena.random('x', T * ld, rand)
    const alone = arena.alloc('alone', T * ld)
    arena.f32(alone).set(arena.f32(x))
    k.ropeAt(x, table, positions, 1, T, ld, heads, hs, 0)
    let start = 0
    for (const n of lengths) {
      k.rope(alone + start * ld * 4, table, 1, n, ld, heads, hs, 0)
      start += n
    }
    expect(arena.f32(x)).toEqual(arena.f32(alone))
    const y = arena.alloc('y', T * ld)
    arena.f32(y).set(arena.f32(alone))
    k.ropeAt(x, table, positions, 1, T, ld, heads, hs, 1)
    ref.ropeAt(y, table, positions, 1, T, ld, heads, hs, 1)
    expectClose(arena.f32(x), arena.f32(y), { rtol: 1e-6, atol: 1e-7 }, 'inverse vs reference')

    const tokens = [0, 5, 2, 2, 1, 3, 4, 0, 5, 1]
    const tok = arena.ints('tokens', tokens)
    const wte = arena.random('wte', V * C, rand), wpe = arena.random('wpe', 5 * C, rand)
    const out = arena.alloc('out', T * C)
    k.encoderForwardAt(out, tok, positions, wte, wpe, 1, T, C)
    const WTE = arena.f32(wte), WPE = arena.f32(wpe), OUT = arena.f32(out)
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) expect(OUT[t * C + c]).toBe(Math.fround(WTE[tokens[t] * C + c] + WPE[pos[t] * C + c]))
    }
    const dout = arena.random('dout', T * C, rand)
    const dwte = [arena.alloc('dwte1', V * C), arena.alloc('dwte2', V * C)]
    const dwpe = [arena.alloc('dwpe1', 5 * C), arena.alloc('dwpe2', 5 * C)]
    k.encoderBackwardAt(dwte[0], dwpe[0], dout, tok, positions, 1, T, C)
    ref.encoderBackwardAt(dwte[1], dwpe[1], dout, tok, positions, 1, T, C)
    expectClose(arena.f32(dwte[0]), arena.f32(dwte[1]), { rtol: 1e-6, atol: 1e-7 }, 'dwte vs reference')
    expectClose(arena.f32(dwpe[0]), arena.f32(dwpe[1]), { rtol: 1e-6, atol: 1e-7 }, 'dwpe vs reference')
    // Position 4 only exists in the middle segment: its gradient is that row's alone.
    const D = arena.f32(dout), G = arena.f32(dwpe[0])
    for (let c = 0; c < C; c++) expect(G[4 * C + c]).toBe(D[7 * C + c])
  })
})
