// Matrix products: out = a·b, a·bᵀ or aᵀ·b. With the caller's scratch (MATMUL_SCRATCH_BYTES, see
// kernels/abi.ts) and at least PACK_MIN_ROWS rows, all three run the packed GEMM of matmul-packed.ts.
// Without scratch, or for a few rows (generation computes one position at a time, where packing b would
// cost more than the product), they run the direct kernels below, register-blocked on the operands
// where they lie:
//   NN and TN: 4 rows × 8 columns of out (8 accumulators); per k, two loads of b[k, j..j+8] and a
//              broadcast of a[i+r, k] per row. NN and TN differ only in the strides of a.
//   NT:        2 rows × 4 columns of out, each a dot product along the contiguous K of a and b
//              (8 accumulators), folded into one vector of 4 results at the end.
// Dimensions that are not multiples of the tile fall back to narrower tiles, then to scalar code.
// Eight accumulators is the most V8 keeps in registers: a 5 × 8 or 6 × 8 tile spills (measured slower).
import { madd, hsum4, dot, dot1x4, tails4, finish, finish1 } from './simd'
import { gemmPacked } from './matmul-packed'

/** Fewer rows than this run the direct kernels even with scratch: packing b would cost more than it saves. */
const PACK_MIN_ROWS: i32 = 16

/** k-block: a KC × 8 panel of b (8 KiB) stays in L1 while a runs over an MC-row block of a. */
const KC: i32 = 256
/** Rows of a per block (MC × KC floats = 64 KiB stay in L2). A multiple of 4. */
const MC: i32 = 64

// The a operand of NN/TN: element (i, k) lives at a + i·ai + k·ak (bytes). Inlined with constant
// strides where the shape fixes them, so the address arithmetic folds.

// @ts-ignore: decorator
@inline function tile4x8(
  out: usize, a: usize, ai: usize, ak: usize, b: usize, ldb: usize, ldo: usize, kc: i32, bias: usize, acc: bool,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0)
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0)
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0)
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0)
  const ai2 = ai * 2, ai3 = ai * 3
  let pa = a, pb = b
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16)
    let x = v128.load32_splat(pa)
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01)
    x = v128.load32_splat(pa + ai)
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11)
    x = v128.load32_splat(pa + ai2)
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21)
    x = v128.load32_splat(pa + ai3)
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31)
    pa += ak; pb += ldb
  }
  const bias1 = bias ? bias + 16 : 0
  finish(out, c00, bias, acc); finish(out + 16, c01, bias1, acc); out += ldo
  finish(out, c10, bias, acc); finish(out + 16, c11, bias1, acc); out += ldo
  finish(out, c20, bias, acc); finish(out + 16, c21, bias1, acc); out += ldo
  finish(out, c30, bias, acc); finish(out + 16, c31, bias1, acc)
}

// @ts-ignore: decorator
@inline function tile1x8(out: usize, a: usize, ak: usize, b: usize, ldb: usize, kc: i32, bias: usize, acc: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0)
  let pa = a, pb = b
  for (let k = 0; k < kc; k++) {
    const x = v128.load32_splat(pa)
    c0 = madd(x, v128.load(pb), c0); c1 = madd(x, v128.load(pb, 16), c1)
    pa += ak; pb += ldb
  }
  finish(out, c0, bias, acc); finish(out + 16, c1, bias ? bias + 16 : 0, acc)
}

// @ts-ignore: decorator
@inline function tile4x4(
  out: usize, a: usize, ai: usize, ak: usize, b: usize, ldb: usize, ldo: usize, kc: i32, bias: usize, acc: bool,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0)
  const ai2 = ai * 2, ai3 = ai * 3
  let pa = a, pb = b
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb)
    c0 = madd(v128.load32_splat(pa), b0, c0)
    c1 = madd(v128.load32_splat(pa + ai), b0, c1)
    c2 = madd(v128.load32_splat(pa + ai2), b0, c2)
    c3 = madd(v128.load32_splat(pa + ai3), b0, c3)
    pa += ak; pb += ldb
  }
  finish(out, c0, bias, acc); out += ldo
  finish(out, c1, bias, acc); out += ldo
  finish(out, c2, bias, acc); out += ldo
  finish(out, c3, bias, acc)
}

// @ts-ignore: decorator
@inline function tile1x4(out: usize, a: usize, ak: usize, b: usize, ldb: usize, kc: i32, bias: usize, acc: bool): void {
  let c0 = f32x4.splat(0)
  let pa = a, pb = b
  for (let k = 0; k < kc; k++) {
    c0 = madd(v128.load32_splat(pa), v128.load(pb), c0)
    pa += ak; pb += ldb
  }
  finish(out, c0, bias, acc)
}

// @ts-ignore: decorator
@inline function tile1x1(out: usize, a: usize, ak: usize, b: usize, ldb: usize, kc: i32, bias: usize, acc: bool): void {
  let c: f32 = 0
  let pa = a, pb = b
  for (let k = 0; k < kc; k++) {
    c += load<f32>(pa) * load<f32>(pb)
    pa += ak; pb += ldb
  }
  finish1(out, c, bias, acc)
}

/** out[M,N] (+)= A · b[K,N] (+ bias), where A(i,k) is at a + i·ai + k·ak. */
// @ts-ignore: decorator
@inline function gemmAB(
  out: usize, a: usize, ai: usize, ak: usize, b: usize, bias: usize, M: i32, K: i32, N: i32, accumulate: bool,
): void {
  const ldb = <usize>N << 2, ldo = <usize>N << 2
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0)
    const acc = accumulate || k0 > 0
    const bs: usize = k0 == 0 ? bias : 0
    const ak0 = a + <usize>k0 * ak, bk0 = b + <usize>k0 * ldb
    for (let i0 = 0; i0 < M; i0 += MC) {
      const i1 = min(M, i0 + MC)
      let j = 0
      for (; j + 8 <= N; j += 8) {
        const bj = bk0 + (<usize>j << 2), biasj: usize = bs ? bs + (<usize>j << 2) : 0
        let i = i0
        for (; i + 4 <= i1; i += 4) {
          tile4x8(out + <usize>i * ldo + (<usize>j << 2), ak0 + <usize>i * ai, ai, ak, bj, ldb, ldo, kc, biasj, acc)
        }
        for (; i < i1; i++) tile1x8(out + <usize>i * ldo + (<usize>j << 2), ak0 + <usize>i * ai, ak, bj, ldb, kc, biasj, acc)
      }
      if (j + 4 <= N) {
        const bj = bk0 + (<usize>j << 2), biasj: usize = bs ? bs + (<usize>j << 2) : 0
        let i = i0
        for (; i + 4 <= i1; i += 4) {
          tile4x4(out + <usize>i * ldo + (<usize>j << 2), ak0 + <usize>i * ai, ai, ak, bj, ldb, ldo, kc, biasj, acc)
        }
        for (; i < i1; i++) tile1x4(out + <usize>i * ldo + (<usize>j << 2), ak0 + <usize>i * ai, ak, bj, ldb, kc, biasj, acc)
        j += 4
      }
      for (; j < N; j++) {
        const bj = bk0 + (<usize>j << 2), biasj: usize = bs ? bs + (<usize>j << 2) : 0
        for (let i = i0; i < i1; i++) {
          tile1x1(out + <usize>i * ldo + (<usize>j << 2), ak0 + <usize>i * ai, ak, bj, ldb, kc, biasj, acc)
        }
      }
    }
  }
}

/** K = 0: the product is empty, out becomes bias (or 0), plus out when accumulating. */
function emptyProduct(out: usize, bias: usize, M: i32, N: i32, accumulate: bool): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const p = out + ((<usize>i * <usize>N + <usize>j) << 2)
      finish1(p, 0, bias ? bias + (<usize>j << 2) : 0, accumulate)
    }
  }
}

export function matmulNN(
  out: usize, a: usize, b: usize, bias: usize, M: i32, K: i32, N: i32, accumulate: i32, scratch: usize,
): void {
  const ai = <usize>K << 2, ldb = <usize>N << 2
  if (K <= 0) emptyProduct(out, bias, M, N, accumulate != 0)
  else if (scratch && M >= PACK_MIN_ROWS) gemmPacked(out, ldb, a, ai, 4, b, ldb, 4, bias, M, K, N, accumulate != 0, scratch)
  else gemmAB(out, a, ai, 4, b, bias, M, K, N, accumulate != 0)
}

export function matmulTN(out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, accumulate: i32, scratch: usize): void {
  const ak = <usize>M << 2, ldb = <usize>N << 2
  if (K <= 0) emptyProduct(out, 0, M, N, accumulate != 0)
  else if (scratch && M >= PACK_MIN_ROWS) gemmPacked(out, ldb, a, 4, ak, b, ldb, 4, 0, M, K, N, accumulate != 0, scratch)
  else gemmAB(out, a, 4, ak, b, 0, M, K, N, accumulate != 0)
}

// ---- NT: out[i, j] = a[i, :] · b[j, :] ----

/** Rows of a per block in NT, so a block of a stays in L2 while 4 rows of b sit in L1. */
const NT_MC: i32 = 32

// @ts-ignore: decorator
@inline function ntTile2x4(out: usize, a: usize, b: usize, K: i32, lda: usize, ldo: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0)
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0)
  const a0 = a, a1 = a + lda
  const b0 = b, b1 = b + lda, b2 = b + 2 * lda, b3 = b + 3 * lda
  const K4 = K & ~3
  for (let k = 0; k < K4; k += 4) {
    const o = <usize>k << 2
    const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o)
    let y = v128.load(b0 + o)
    c00 = madd(x0, y, c00); c10 = madd(x1, y, c10)
    y = v128.load(b1 + o)
    c01 = madd(x0, y, c01); c11 = madd(x1, y, c11)
    y = v128.load(b2 + o)
    c02 = madd(x0, y, c02); c12 = madd(x1, y, c12)
    y = v128.load(b3 + o)
    c03 = madd(x0, y, c03); c13 = madd(x1, y, c13)
  }
  let r0 = hsum4(c00, c01, c02, c03), r1 = hsum4(c10, c11, c12, c13)
  if (K4 < K) {
    r0 = f32x4.add(r0, tails4(a0, b0, b1, b2, b3, K4, K))
    r1 = f32x4.add(r1, tails4(a1, b0, b1, b2, b3, K4, K))
  }
  finish(out, r0, 0, acc); finish(out + ldo, r1, 0, acc)
}

export function matmulNT(out: usize, a: usize, b: usize, M: i32, K: i32, N: i32, accumulate: i32, scratch: usize): void {
  const acc = accumulate != 0
  const lda = <usize>K << 2, ldo = <usize>N << 2
  if (scratch && M >= PACK_MIN_ROWS && K > 0) {
    gemmPacked(out, ldo, a, lda, 4, b, 4, lda, 0, M, K, N, acc, scratch)
    return
  }
  for (let i0 = 0; i0 < M; i0 += NT_MC) {
    const i1 = min(M, i0 + NT_MC)
    let j = 0
    for (; j + 4 <= N; j += 4) {
      const bj = b + <usize>j * lda
      let i = i0
      for (; i + 2 <= i1; i += 2) ntTile2x4(out + <usize>i * ldo + (<usize>j << 2), a + <usize>i * lda, bj, K, lda, ldo, acc)
      if (i < i1) finish(out + <usize>i * ldo + (<usize>j << 2), dot1x4(a + <usize>i * lda, bj, bj + lda, bj + 2 * lda, bj + 3 * lda, K), 0, acc)
    }
    for (; j < N; j++) {
      const bj = b + <usize>j * lda
      for (let i = i0; i < i1; i++) finish1(out + <usize>i * ldo + (<usize>j << 2), dot(a + <usize>i * lda, bj, K), 0, acc)
    }
  }
}
