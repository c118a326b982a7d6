/**
 * Every backward kernel against central finite differences of a float64 forward (helpers.f64), for both
 * builds and for shapes that are not multiples of the tiles. With L = Σ w·forward(x) and dout = w, the
 * backward must add ∂L/∂x to whatever its gradient buffers held (they start random, not zero).
 */
import { beforeAll, describe, it } from 'vitest'
import type { Kernels } from '../../../../../src/main/engine/kernels'
import { MATMUL_SCRATCH_BYTES } from '../../../../../src/main/engine/kernels/abi'
import {
  Arena,
  VARIANTS,
  dot,
  ensureKernelsBuilt,
  expectGradient,
  f64,
  finiteDifferences,
  kernelsOf,
  rng,
  sharedMemory,
} from './helpers'

const memory = sharedMemory(1 << 20)
/** The matmuls' scratch, at the end of memory (they pack from 16 rows on). */
const scratch = memory.buffer.byteLength - MATMUL_SCRATCH_BYTES

/** The change a backward made to a gradient buffer: after − before. */
function delta(arena: Arena, ptr: number, before: Float32Array): Float64Array {
  const after = arena.f32(ptr)
  return Float64Array.from(after, (v, i) => v - before[i])
}

function setup(seed: number): { arena: Arena; rand: () => number } {
  new Uint8Array(memory.buffer).fill(0)
  return { arena: new Arena(memory), rand: rng(seed) }
}

const copy = (arena: Arena, ptr: number): Float64Array => Float64Array.from(arena.f32(ptr))
const snapshot = (arena: Arena, ptr: number): Float32Array => Float32Array.from(arena.f32(ptr))

beforeAll(() => ensureKernelsBuilt())

describe.each(VARIANTS)('backward kernels (%s build) match finite differences', (variant) => {
  let k: Kernels
  beforeAll(async () => {
    k = await kernelsOf(memory, variant)
  })

  it.each([
    [7, 13, 33],
    [13, 5, 9],
    [1, 3, 1],
    [6, 17, 8],
    [20, 9, 18],
  ])('linear layer out = a·b + bias (NN) via NT, TN and biasBackward: M%i K%i N%i', (M, K, N) => {
    const { arena, rand } = setup(M * 100 + K)
    const a = arena.random('a', M * K, rand),
      b = arena.random('b', K * N, rand),
      bias = arena.random('bias', N, rand)
    const w = arena.random('dout', M * N, rand)
    const da = arena.random('da', M * K, rand),
      db = arena.random('db', K * N, rand),
      dbias = arena.random('dbias', N, rand)
    const before = [snapshot(arena, da), snapshot(arena, db), snapshot(arena, dbias)]
    // da = dout · bᵀ (NT), db = aᵀ · dout (TN), dbias = Σ dout; the first two accumulate.
    k.matmulNT(da, w, b, M, N, K, 1, scratch)
    k.matmulTN(db, a, w, K, M, N, 1, scratch)
    k.biasBackward(dbias, w, M, N)
    const [A, Bm, bias64, W] = [copy(arena, a), copy(arena, b), copy(arena, bias), copy(arena, w)]
    const loss = (): number => dot(W, f64.matmul(A, Bm, bias64, M, K, N, false, false))
    expectGradient(delta(arena, da, before[0]), finiteDifferences(loss, A), 'da')
    expectGradient(delta(arena, db, before[1]), finiteDifferences(loss, Bm), 'db')
    expectGradient(delta(arena, dbias, before[2]), finiteDifferences(loss, bias64), 'dbias')
  })

  it.each([
    [7, 13, 33],
    [5, 9, 6],
    [2, 1, 3],
    [18, 7, 17],
  ])('tied head out = a·bᵀ (NT) via NN and TN: M%i K%i N%i', (M, K, N) => {
    const { arena, rand } = setup(M * 7 + N)
    const a = arena.random('a', M * K, rand),
      b = arena.random('b', N * K, rand),
      w = arena.random('dout', M * N, rand)
    const da = arena.random('da', M * K, rand),
      db = arena.random('db', N * K, rand)
    const before = [snapshot(arena, da), snapshot(arena, db)]
    k.matmulNN(da, w, b, 0, M, N, K, 1, scratch) // da = dout · b
    k.matmulTN(db, w, a, N, M, K, 1, scratch) // db = doutᵀ · a
    const [A, Bm, W] = [copy(arena, a), copy(arena, b), copy(arena, w)]
    const loss = (): number => dot(W, f64.matmul(A, Bm, null, M, K, N, false, true))
    expectGradient(delta(arena, da, before[0]), finiteDifferences(loss, A), 'da')
    expectGradient(delta(arena, db, before[1]), finiteDifferences(loss, Bm), 'db')
  })

  it.each([
    [2, 5, 13, 7],
    [1, 4, 8, 3],
  ])('encoderBackward B%i T%i C%i V%i', (B, T, C, V) => {
    const { arena, rand } = setup(B + T + C)
    const tokens = Array.from({ length: B * T }, () => Math.floor(rand() * V))
    tokens[1] = tokens[0] // a repeated token must accumulate
    const tok = arena.ints('tokens', tokens)
    const wte = arena.random('wte', V * C, rand),
      wpe = arena.random('wpe', T * C, rand),
      w = arena.random('dout', B * T * C, rand)
    const dwte = arena.random('dwte', V * C, rand),
      dwpe = arena.random('dwpe', T * C, rand)
    const before = [snapshot(arena, dwte), snapshot(arena, dwpe)]
    k.encoderBackward(dwte, dwpe, w, tok, B, T, C)
    const [WTE, WPE, W] = [copy(arena, wte), copy(arena, wpe), copy(arena, w)]
    const loss = (): number => dot(W, f64.encoder(tokens, WTE, WPE, B, T, C))
    expectGradient(delta(arena, dwte, before[0]), finiteDifferences(loss, WTE), 'dwte')
    expectGradient(delta(arena, dwpe, before[1]), finiteDifferences(loss, WPE), 'dwpe')
  })

  it.each([
    [5, 13],
    [3, 16],
    [2, 7],
    [4, 3],
  ])('layernormBackward N%i C%i', (N, C) => {
    const { arena, rand } = setup(N * 31 + C)
    const inp = arena.random('inp', N * C, rand, 2),
      weight = arena.random('weight', C, rand),
      bias = arena.random('bias', C, rand)
    const out = arena.alloc('out', N * C),
      mean = arena.alloc('mean', N),
      rstd = arena.alloc('rstd', N)
    const w = arena.random('dout', N * C, rand)
    const dinp = arena.random('dinp', N * C, rand),
      dweight = arena.random('dweight', C, rand),
      dbias = arena.random('dbias', C, rand)
    const before = [snapshot(arena, dinp), snapshot(arena, dweight), snapshot(arena, dbias)]
    k.layernormForward(out, mean, rstd, inp, weight, bias, N, C)
    k.layernormBackward(dinp, dweight, dbias, w, inp, weight, mean, rstd, N, C)
    const [X, G, Bb, W] = [copy(arena, inp), copy(arena, weight), copy(arena, bias), copy(arena, w)]
    const loss = (): number => dot(W, f64.layernorm(X, G, Bb, N, C))
    expectGradient(delta(arena, dinp, before[0]), finiteDifferences(loss, X), 'dinp')
    expectGradient(delta(arena, dweight, before[1]), finiteDifferences(loss, G), 'dweight')
    expectGradient(delta(arena, dbias, before[2]), finiteDifferences(loss, Bb), 'dbias')
  })

  it.each([[37], [4], [1]])('geluBackward n%i', (n) => {
    const { arena, rand } = setup(n)
    const inp = arena.random('inp', n, rand, 4),
      w = arena.random('dout', n, rand),
      dinp = arena.random('dinp', n, rand)
    const before = snapshot(arena, dinp)
    k.geluBackward(dinp, inp, w, n)
    const [X, W] = [copy(arena, inp), copy(arena, w)]
    expectGradient(
      delta(arena, dinp, before),
      finiteDifferences(() => dot(W, f64.gelu(X)), X),
      'dinp',
    )
  })

  it.each([
    [2, 7, 15, 3],
    [1, 9, 40, 2],
    [1, 5, 32, 2],
    [2, 3, 4, 4],
    [1, 67, 8, 2],
  ])('attentionBackward B%i T%i C%i NH%i', (B, T, C, NH) => {
    const { arena, rand } = setup(B * T * C + NH)
    const qkv = arena.random('qkv', B * T * 3 * C, rand, 1.5)
    const out = arena.alloc('out', B * T * C),
      att = arena.alloc('att', B * NH * T * T)
    const w = arena.random('dout', B * T * C, rand)
    const dqkv = arena.random('dqkv', B * T * 3 * C, rand),
      datt = arena.random('datt', B * NH * T * T, rand)
    const before = snapshot(arena, dqkv)
    k.attentionForward(out, att, qkv, B, T, C, NH, scratch)
    k.attentionBackward(dqkv, datt, w, qkv, att, B, T, C, NH, scratch)
    const [QKV, W] = [copy(arena, qkv), copy(arena, w)]
    const loss = (): number => dot(W, f64.attention(QKV, B, T, C, NH))
    expectGradient(delta(arena, dqkv, before), finiteDifferences(loss, QKV), 'dqkv')
  })

  it.each([
    [5, 37],
    [3, 4],
    [4, 130],
  ])('crossEntropyBackward N%i V%i (one row ignored)', (N, V) => {
    const { arena, rand } = setup(N * V)
    const targets = Array.from({ length: N }, (_, n) => (n === 1 ? -1 : Math.floor(rand() * V)))
    const tgt = arena.ints('targets', targets)
    const logits = arena.random('logits', N * V, rand, 4)
    const losses = arena.alloc('losses', N),
      probs = arena.alloc('probs', N * V),
      dlogits = arena.random('dlogits', N * V, rand)
    const scale = 1 / (N - 1)
    k.crossEntropyForward(losses, probs, logits, tgt, N, V)
    k.crossEntropyBackward(dlogits, probs, tgt, N, V, scale)
    const X = copy(arena, logits)
    const loss = (): number => f64.crossEntropy(X, targets, N, V).reduce((s, l) => s + l, 0) * scale
    // crossEntropyBackward overwrites, so its output is the gradient itself.
    expectGradient(arena.f32(dlogits), finiteDifferences(loss, X), 'dlogits')
  })
})
