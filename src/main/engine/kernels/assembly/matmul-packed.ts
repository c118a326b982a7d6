// The packed GEMM behind all three matmul layouts (NN, NT, TN), the way GotoBLAS and BLIS do it: copy
// a block of each operand into the caller's scratch in the exact order the micro-kernel reads it, so
// the micro-kernel's loads run front to back through contiguous memory whatever the operands' strides.
//
// Why: row strides of 1, 2 or 4 KiB (d 256, FF 1024, vocab 4096: every shape of the models here) map
// a panel running down the rows of an operand onto a few L1 sets, so an unpacked tile keeps evicting
// its own panel. Packed, the same 4 × 8 micro-kernel runs 1.1–1.5× faster on the small model's shapes
// (bench/kernels.ts), and one micro-kernel serves the three layouts, which differ only in how they pack.
//
// Loop nest (C = out, M×N; sums over K):
//   for each NC-column block of b:
//     for each KC-deep block of K:    pack b[KC, NC] into 8-column panels  (≤ 512 KiB, stays in L2)
//       for each MC-row block of a:   pack a[MC, KC] into 4-row groups     (64 KiB, L2)
//         for each 8-column panel:    (8 KiB, L1)
//           for each 4-row group:     micro-kernel, 8 v128 accumulators, k from 0 to KC
// Edges are padded with zeros in the packs, so every tile runs the full micro-kernel; a tile that
// sticks out past M or N writes only its rows and columns that exist.
//
// Summation order for out[i, j]: k ascending inside each KC block, each block's sum added to out in
// turn, then the bias once — as the unpacked tiles in matmul.ts.
import { madd, finish, finish1 } from './simd'

/** k-block: a packed 8-column panel of b is KC × 8 floats (8 KiB), read from L1 by every row group. */
const KC: i32 = 256
/** Rows of a per block: MC × KC floats = 64 KiB of packed a, read from L2 once per panel. */
const MC: i32 = 64
/** Columns of b per block: KC × NC floats = 512 KiB of packed b, in L2. A multiple of 8. */
const NC: i32 = 512

const PACKED_B_BYTES: usize = <usize>KC * <usize>NC * 4
const PACKED_A_BYTES: usize = <usize>MC * <usize>KC * 4
/** One 4 × 8 tile written out in full, for a tile at the edge to copy its part from. */
const EDGE_TILE_BYTES: usize = 4 * 8 * 4

// Scratch: PACKED_B_BYTES + PACKED_A_BYTES + EDGE_TILE_BYTES = 589,952 bytes, MATMUL_SCRATCH_BYTES in
// kernels/abi.ts (a test places the scratch at the very end of memory, so a larger use would trap).

// ---- packing ----

/**
 * Packs `count` lines of an operand, line r's k-th element at src + r·across + k·along, into groups of
 * `width` lines (4 for a, 8 for b): group g holds, for each k < kc, the `width` values of its lines at
 * k, adjacent (width·4 bytes), so group g starts at dst + g·kc·width·4. Lines past `count` are 0.
 * a packs its rows (across ai, along ak), b its columns (across bj, along bk).
 */
function pack(dst: usize, src: usize, across: usize, along: usize, count: i32, width: i32, kc: i32): void {
  const row = <usize>width << 2, groupBytes = <usize>kc * row
  for (let g = 0; g < count; g += width) {
    const s = src + <usize>g * across
    const d = dst + <usize>(g / width) * groupBytes
    if (g + width > count) packEdge(d, s, across, along, count - g, width, kc)
    else if (across == 4) {
      // The group's values at each k are adjacent (aᵀ in TN, b in NN and TN): copy them.
      for (let k = 0; k < kc; k++) {
        const from = s + <usize>k * along, to = d + <usize>k * row
        for (let w: usize = 0; w < row; w += 16) v128.store(to + w, v128.load(from + w))
      }
    } else if (along == 4) {
      // Each line is contiguous along k (a in NN and NT, b in NT): transpose 4 lines at a time.
      for (let w = 0; w < width; w += 4) transpose4Rows(d + (<usize>w << 2), s + <usize>w * across, across, kc, row)
    } else packEdge(d, s, across, along, width, width, kc)
  }
}

/**
 * For k < kc: writes the k-th value of 4 rows (row r at src + r·stride, contiguous along k) as 4
 * adjacent floats at dst + k·step. The rows are read 4 × 4 and transposed in registers.
 */
function transpose4Rows(dst: usize, src: usize, stride: usize, kc: i32, step: usize): void {
  const r0 = src, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride
  let k = 0
  for (; k + 4 <= kc; k += 4) {
    const o = <usize>k << 2
    const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o)
    const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5)
    const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7)
    const d = dst + <usize>k * step
    v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5))
    v128.store(d + step, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7))
    v128.store(d + 2 * step, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5))
    v128.store(d + 3 * step, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7))
  }
  for (; k < kc; k++) {
    const o = <usize>k << 2, d = dst + <usize>k * step
    store<f32>(d, load<f32>(r0 + o)); store<f32>(d, load<f32>(r1 + o), 4)
    store<f32>(d, load<f32>(r2 + o), 8); store<f32>(d, load<f32>(r3 + o), 12)
  }
}

/**
 * The general pack, one float at a time: for k < kc, `width` floats at dst + k·width·4, of which the
 * first `count` are src[r·across + k·along] and the rest 0. Edges and unusual strides only.
 */
function packEdge(dst: usize, src: usize, across: usize, along: usize, count: i32, width: i32, kc: i32): void {
  for (let k = 0; k < kc; k++) {
    const d = dst + ((<usize>k * <usize>width) << 2)
    for (let r = 0; r < width; r++) {
      store<f32>(d + (<usize>r << 2), r < count ? load<f32>(src + <usize>r * across + <usize>k * along) : 0)
    }
  }
}

// ---- micro-kernel ----

/**
 * out[4 × 8 at out, row stride ldo] (+)= packed a group · packed b panel over kc (+ bias[8]). A tile
 * at an edge (rows < 4 or cols < 8) goes through `edge` and writes only its rows and columns.
 */
// @ts-ignore: decorator
@inline function tile4x8(
  out: usize, ldo: usize, pa: usize, pb: usize, kc: i32, bias: usize, acc: bool, rows: i32, cols: i32, edge: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0)
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0)
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0)
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0)
  // Bounded by the pointer, not a counter: one fewer register and add per k (about 5 % faster). Unrolling
  // by hand makes V8 hoist the loads of both steps and spill accumulators (measured 20–30 % slower).
  const end = pa + (<usize>kc << 4)
  while (pa < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16)
    let x = v128.load32_splat(pa)
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01)
    x = v128.load32_splat(pa, 4)
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11)
    x = v128.load32_splat(pa, 8)
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21)
    x = v128.load32_splat(pa, 12)
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31)
    pa += 16; pb += 32
  }
  if (rows == 4 && cols == 8) {
    const bias1 = bias ? bias + 16 : 0
    finish(out, c00, bias, acc); finish(out + 16, c01, bias1, acc); out += ldo
    finish(out, c10, bias, acc); finish(out + 16, c11, bias1, acc); out += ldo
    finish(out, c20, bias, acc); finish(out + 16, c21, bias1, acc); out += ldo
    finish(out, c30, bias, acc); finish(out + 16, c31, bias1, acc)
  } else {
    v128.store(edge, c00); v128.store(edge, c01, 16); v128.store(edge, c10, 32); v128.store(edge, c11, 48)
    v128.store(edge, c20, 64); v128.store(edge, c21, 80); v128.store(edge, c30, 96); v128.store(edge, c31, 112)
    writeEdge(out, ldo, edge, bias, acc, rows, cols)
  }
}

/**
 * tile4x8 for a group with one row (a product of one row, as generation's attention runs): the same
 * sums as tile4x8's first row, in the same order, at a quarter of the work.
 */
// @ts-ignore: decorator
@inline function tile1x8(
  out: usize, pa: usize, pb: usize, kc: i32, bias: usize, acc: bool, cols: i32, edge: usize,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0)
  const end = pa + (<usize>kc << 4)
  while (pa < end) {
    const x = v128.load32_splat(pa)
    c0 = madd(x, v128.load(pb), c0); c1 = madd(x, v128.load(pb, 16), c1)
    pa += 16; pb += 32
  }
  if (cols == 8) {
    finish(out, c0, bias, acc); finish(out + 16, c1, bias ? bias + 16 : 0, acc)
  } else {
    v128.store(edge, c0); v128.store(edge, c1, 16)
    writeEdge(out, 0, edge, bias, acc, 1, cols)
  }
}

/** The rows × cols corner of a tile that `tile4x8` left in `edge` (4 rows of 8), added like finish. */
function writeEdge(out: usize, ldo: usize, edge: usize, bias: usize, acc: bool, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      finish1(out + <usize>r * ldo + (<usize>c << 2), load<f32>(edge + (<usize>(r * 8 + c) << 2)), bias ? bias + (<usize>c << 2) : 0, acc)
    }
  }
}

// ---- the GEMM ----

/**
 * out[M, N] (+)= A · B (+ bias[N]) with A(i, k) at a + i·ai + k·ak and B(k, j) at b + k·bk + j·bj
 * (bytes), row i of out at out + i·ldo. K ≥ 1. `scratch` holds MATMUL_SCRATCH_BYTES.
 * Each out[i, j] is the same sum in the same order whatever M, N and the tile it falls in, so a row
 * computed alone (generation) equals the same row computed in a block.
 */
export function gemmPacked(
  out: usize, ldo: usize, a: usize, ai: usize, ak: usize, b: usize, bk: usize, bj: usize, bias: usize,
  M: i32, K: i32, N: i32, accumulate: bool, scratch: usize,
): void {
  const packedB = scratch, packedA = scratch + PACKED_B_BYTES, edge = packedA + PACKED_A_BYTES
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc)
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc)
      const acc = accumulate || pc > 0
      const blockBias: usize = pc == 0 && bias ? bias + (<usize>jc << 2) : 0
      pack(packedB, b + <usize>pc * bk + <usize>jc * bj, bj, bk, nc, 8, kc)
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic)
        pack(packedA, a + <usize>ic * ai + <usize>pc * ak, ai, ak, mc, 4, kc)
        for (let jr = 0; jr < nc; jr += 8) {
          const pb = packedB + <usize>(jr >> 3) * (<usize>kc << 5)
          const cols = min(8, nc - jr)
          const tileBias: usize = blockBias ? blockBias + (<usize>jr << 2) : 0
          const outColumn = out + (<usize>(jc + jr) << 2)
          for (let ir = 0; ir < mc; ir += 4) {
            const pa = packedA + <usize>(ir >> 2) * (<usize>kc << 4), rows = min(4, mc - ir)
            if (rows == 1) tile1x8(outColumn + <usize>(ic + ir) * ldo, pa, pb, kc, tileBias, acc, cols, edge)
            else tile4x8(outColumn + <usize>(ic + ir) * ldo, ldo, pa, pb, kc, tileBias, acc, rows, cols, edge)
          }
        }
      }
    }
  }
}
