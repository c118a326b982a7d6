// Causal multi-head self-attention over qkv[B, T, 3C] (q | k | v; head h owns columns h·hs … h·hs+hs of
// each). att[B, NH, T, T] keeps the softmax probabilities (zero above the diagonal) for backward.
//
// Every product runs on the packed GEMM (matmul-packed.ts), per head, in blocks of ROWS query rows: a
// block of rows r0…r1 needs keys 0…r1 only, so the GEMMs cover the causal triangle plus half a block
// instead of the whole square. Scores beyond a row's own position that a block computes anyway are
// overwritten (zeros) by the softmax; zeros in att and datt above the diagonal keep the later products
// exact. attentionStep (generation, one position) runs the same GEMMs on one row, and the packed GEMM
// sums each element in the same order whatever the block, so it gives exactly attentionForward's row.
//
// Segments (packed windows): with positions ≠ 0, positions[b·T + t] is row t's position inside its
// segment, whose rows are consecutive, so row t attends to keys t − positions[t] … t only (a
// block-diagonal causal mask). A block of rows starts its GEMMs at its first row's segment start, and
// backward's key blocks stop at the end of the last segment that sees them; probabilities and their
// gradients outside a row's segment are zeros, which keeps the products exact.
import { vexp, expf } from './math'
import { dot } from './simd'
import { gemmPacked } from './matmul-packed'

/** Query rows per block: the GEMMs compute T²/2 + T·ROWS/2 scores per head instead of T². */
const ROWS: i32 = 64

/** Row t's segment start: t − positions[t] (0 without positions). `at` points at the window's positions. */
// @ts-ignore: decorator
@inline function segmentStart(at: usize, t: i32): i32 {
  return at ? t - load<i32>(at + (<usize>t << 2)) : 0
}

/** In place: row[0..s) ← 0; row[s..n) ← softmax(scale · row[s..n)); row[n..T) ← 0. */
// @ts-ignore: decorator
@inline function softmaxSegmentRow(row: usize, s: i32, n: i32, T: i32, scale: f32): void {
  if (s > 0) memory.fill(row, 0, <usize>s << 2)
  softmaxCausalRow(row + (<usize>s << 2), n - s, T - s, scale)
}

/** In place: row[0..n) ← softmax(scale · row[0..n)); row[n..T) ← 0. */
// @ts-ignore: decorator
@inline function softmaxCausalRow(row: usize, n: i32, T: i32, scale: f32): void {
  const scalev = f32x4.splat(scale)
  let mx = f32x4.splat(-Infinity)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const o = row + (<usize>i << 2)
    const x = f32x4.mul(v128.load(o), scalev)
    v128.store(o, x)
    mx = f32x4.pmax(mx, x)
  }
  let m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)))
  for (; i < n; i++) {
    const o = row + (<usize>i << 2)
    const x = load<f32>(o) * scale
    store<f32>(o, x)
    m = max(m, x)
  }
  const mv = f32x4.splat(m)
  let sv = f32x4.splat(0)
  i = 0
  for (; i + 4 <= n; i += 4) {
    const o = row + (<usize>i << 2)
    const e = vexp(f32x4.sub(v128.load(o), mv))
    v128.store(o, e)
    sv = f32x4.add(sv, e)
  }
  let s = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3)
  for (; i < n; i++) {
    const o = row + (<usize>i << 2)
    const e = expf(load<f32>(o) - m)
    store<f32>(o, e)
    s += e
  }
  const inv = f32x4.splat(1 / s)
  i = 0
  for (; i + 4 <= n; i += 4) {
    const o = row + (<usize>i << 2)
    v128.store(o, f32x4.mul(v128.load(o), inv))
  }
  const invs: f32 = 1 / s
  for (; i < n; i++) {
    const o = row + (<usize>i << 2)
    store<f32>(o, load<f32>(o) * invs)
  }
  if (n < T) memory.fill(row + (<usize>n << 2), 0, <usize>(T - n) << 2)
}

/**
 * Query rows r0…r1 of one head: scores[t, k0..r1) = q[t]·k[k0..r1) into att (row r0's, rows ldAtt bytes
 * apart), softmax per row over its segment, then out[t] = Σ p[t, t2]·v[t2] into out (row r0's, rows
 * ldOut apart). q, k, v: the head's position 0 in qkv, ld bytes between positions; at: the window's
 * positions (0: one segment); k0: row r0's segment start, the first key any of the rows sees.
 */
// @ts-ignore: decorator
@inline function attendRows(
  out: usize, ldOut: usize, att: usize, ldAtt: usize, q: usize, k: usize, v: usize, ld: usize,
  r0: i32, r1: i32, rowLength: i32, hs: i32, scale: f32, scratch: usize, at: usize,
): void {
  const rows = r1 - r0
  const k0 = segmentStart(at, r0)
  const keys = <usize>k0 << 2
  // scores = q[r0..r1) · k[k0..r1)ᵀ: a is q (rows ld apart, contiguous along the head), b(d, t2) = k[t2, d].
  gemmPacked(att + keys, ldAtt, q + <usize>r0 * ld, ld, 4, k + <usize>k0 * ld, 4, ld, 0, rows, hs, r1 - k0, false, scratch)
  for (let t = r0; t < r1; t++) softmaxSegmentRow(att + <usize>(t - r0) * ldAtt, segmentStart(at, t), t + 1, rowLength, scale)
  // out[r0..r1) = p · v[k0..r1): p's entries outside each row's segment are 0.
  gemmPacked(out, ldOut, att + keys, ldAtt, 4, v + <usize>k0 * ld, ld, 4, 0, rows, r1 - k0, hs, false, scratch)
}

export function attentionForward(
  out: usize, att: usize, qkv: usize, B: i32, T: i32, C: i32, NH: i32, scratch: usize,
): void {
  groupedAttentionForward(out, att, qkv, B, T, NH, NH, C / NH, scratch)
}

/**
 * Grouped-query attention (Llama, Qwen2): qkv[B, T, (NH + 2·NKV)·hs] holds NH query heads, then NKV key
 * heads, then NKV value heads; query head h reads key/value head h / (NH / NKV). out[B, T, NH·hs]. With
 * NKV = NH it is attentionForward, the same operations in the same order.
 */
export function groupedAttentionForward(
  out: usize, att: usize, qkv: usize, B: i32, T: i32, NH: i32, NKV: i32, hs: i32, scratch: usize,
): void {
  segmentedAttentionForward(out, att, qkv, 0, B, T, NH, NKV, hs, scratch)
}

/**
 * groupedAttentionForward over windows that pack several segments: positions[B·T] (i32) is each row's
 * position inside its segment, and a row attends to its own segment only. positions = 0: one segment
 * per window, groupedAttentionForward exactly.
 */
export function segmentedAttentionForward(
  out: usize, att: usize, qkv: usize, positions: usize, B: i32, T: i32, NH: i32, NKV: i32, hs: i32, scratch: usize,
): void {
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs)
  const C = NH * hs, group = NH / NKV
  const ld = <usize>(C + 2 * NKV * hs) << 2 // bytes between consecutive positions in qkv
  const kOff = <usize>C << 2, vOff = <usize>(C + NKV * hs) << 2
  const ldOut = <usize>C << 2, ldAtt = <usize>T << 2
  for (let b = 0; b < B; b++) {
    const base = qkv + <usize>(b * T) * ld
    const at = positions ? positions + (<usize>(b * T) << 2) : 0
    for (let h = 0; h < NH; h++) {
      const hOff = <usize>(h * hs) << 2, kvOff = <usize>((h / group) * hs) << 2
      const q = base + hOff, k = base + kOff + kvOff, v = base + vOff + kvOff
      const headAtt = att + (<usize>((b * NH + h) * T) * <usize>T << 2)
      const headOut = out + (<usize>(b * T) * <usize>C << 2) + hOff
      for (let r0 = 0; r0 < T; r0 += ROWS) {
        const r1 = min(T, r0 + ROWS)
        attendRows(headOut + <usize>r0 * ldOut, ldOut, headAtt + <usize>r0 * ldAtt, ldAtt, q, k, v, ld, r0, r1, T, hs, scale, scratch, at)
      }
    }
  }
}

/**
 * The last position t of one window only (generation with a key/value cache): qkv[0..t] hold the
 * window's q | k | v rows, out[C] receives position t's heads; att is scratch of NH·(t+1) floats.
 * The same arithmetic as attentionForward's row t, so the results are identical.
 */
export function attentionStep(out: usize, att: usize, qkv: usize, t: i32, C: i32, NH: i32, scratch: usize): void {
  groupedAttentionStep(out, att, qkv, t, NH, NH, C / NH, scratch)
}

/** attentionStep for grouped-query attention (the layout of groupedAttentionForward). */
export function groupedAttentionStep(
  out: usize, att: usize, qkv: usize, t: i32, NH: i32, NKV: i32, hs: i32, scratch: usize,
): void {
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs)
  const C = NH * hs, group = NH / NKV
  const ld = <usize>(C + 2 * NKV * hs) << 2
  const kOff = <usize>C << 2, vOff = <usize>(C + NKV * hs) << 2
  const n = t + 1
  for (let h = 0; h < NH; h++) {
    const hOff = <usize>(h * hs) << 2, kvOff = <usize>((h / group) * hs) << 2
    const q = qkv + hOff, k = qkv + kOff + kvOff, v = qkv + vOff + kvOff
    attendRows(out + hOff, <usize>C << 2, att + (<usize>(h * n) << 2), <usize>n << 2, q, k, v, ld, t, n, n, hs, scale, scratch, 0)
  }
}

/**
 * Per head, with P = att, dO = dout, S the scores:
 *   dP = dO · Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale  (kept in datt, zero above the diagonal),
 *   dQ += dS · K,  dK += dSᵀ · Q,  dV += Pᵀ · dO.
 * dP and dQ go by blocks of query rows (causal: keys 0…r1); dK and dV by blocks of key rows c0…c1,
 * which only queries c0…T see.
 */
export function attentionBackward(
  dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize, B: i32, T: i32, C: i32, NH: i32, scratch: usize,
): void {
  groupedAttentionBackward(dqkv, datt, dout, qkv, att, B, T, NH, NH, C / NH, scratch)
}

/**
 * attentionBackward for grouped-query attention: the query heads sharing a key/value head add their dK
 * and dV into that head's columns of dqkv, one after another.
 */
export function groupedAttentionBackward(
  dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize, B: i32, T: i32, NH: i32, NKV: i32, hs: i32,
  scratch: usize,
): void {
  segmentedAttentionBackward(dqkv, datt, dout, qkv, att, 0, B, T, NH, NKV, hs, scratch)
}

/** groupedAttentionBackward after segmentedAttentionForward with the same positions. */
export function segmentedAttentionBackward(
  dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize, positions: usize, B: i32, T: i32, NH: i32,
  NKV: i32, hs: i32, scratch: usize,
): void {
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs)
  const C = NH * hs, group = NH / NKV
  const ld = <usize>(C + 2 * NKV * hs) << 2
  const ldOut = <usize>C << 2, ldAtt = <usize>T << 2
  const kOff = <usize>C << 2, vOff = <usize>(C + NKV * hs) << 2
  for (let b = 0; b < B; b++) {
    const base = qkv + <usize>(b * T) * ld
    const dbase = dqkv + <usize>(b * T) * ld
    const at = positions ? positions + (<usize>(b * T) << 2) : 0
    for (let h = 0; h < NH; h++) {
      const hOff = <usize>(h * hs) << 2, kvOff = <usize>((h / group) * hs) << 2
      const q = base + hOff, k = base + kOff + kvOff, v = base + vOff + kvOff
      const dq = dbase + hOff, dk = dbase + kOff + kvOff, dv = dbase + vOff + kvOff
      const P = att + (<usize>((b * NH + h) * T) * <usize>T << 2)
      const dS = datt + (<usize>((b * NH + h) * T) * <usize>T << 2)
      const dO = dout + (<usize>(b * T) * <usize>C << 2) + hOff
      for (let r0 = 0; r0 < T; r0 += ROWS) {
        const r1 = min(T, r0 + ROWS), rows = r1 - r0
        const dSr = dS + <usize>r0 * ldAtt
        const k0 = segmentStart(at, r0), keys = <usize>k0 << 2
        // dP[r0..r1, k0..r1) = dO · Vᵀ, then the softmax backward in place, row by row.
        gemmPacked(dSr + keys, ldAtt, dO + <usize>r0 * ldOut, ldOut, 4, v + <usize>k0 * ld, 4, ld, 0, rows, hs, r1 - k0, false, scratch)
        for (let t = r0; t < r1; t++) {
          softmaxBackwardSegmentRow(dS + <usize>t * ldAtt, P + <usize>t * ldAtt, segmentStart(at, t), t + 1, T, scale)
        }
        // dQ[r0..r1) += dS · K[k0..r1).
        gemmPacked(dq + <usize>r0 * ld, ld, dSr + keys, ldAtt, 4, k + <usize>k0 * ld, ld, 4, 0, rows, r1 - k0, hs, true, scratch)
      }
      for (let c0 = 0; c0 < T; c0 += ROWS) {
        const c1 = min(T, c0 + ROWS)
        // Queries c0…end see keys c0…c1: end is where the segment holding key c1 − 1 ends.
        let end = T
        if (at) {
          end = c1
          while (end < T && segmentStart(at, end) < c1) end++
        }
        const span = end - c0
        // dK[c0..c1) += dS[c0..end, c0..c1)ᵀ · Q[c0..end);  dV[c0..c1) += P[c0..end, c0..c1)ᵀ · dO[c0..end).
        const corner = <usize>c0 * ldAtt + (<usize>c0 << 2)
        gemmPacked(dk + <usize>c0 * ld, ld, dS + corner, 4, ldAtt, q + <usize>c0 * ld, ld, 4, 0, c1 - c0, span, hs, true, scratch)
        gemmPacked(dv + <usize>c0 * ld, ld, P + corner, 4, ldAtt, dO + <usize>c0 * ldOut, ldOut, 4, 0, c1 - c0, span, hs, true, scratch)
      }
    }
  }
}

/** dp[0..s) ← 0, then softmaxBackwardRow over the row's segment s…n. */
// @ts-ignore: decorator
@inline function softmaxBackwardSegmentRow(dp: usize, p: usize, s: i32, n: i32, T: i32, scale: f32): void {
  if (s > 0) memory.fill(dp, 0, <usize>s << 2)
  const o = <usize>s << 2
  softmaxBackwardRow(dp + o, p + o, n - s, T - s, scale)
}

/** dp[0..n) ← p · (dp − Σ p·dp) · scale over the row's n positions; dp[n..T) ← 0. */
// @ts-ignore: decorator
@inline function softmaxBackwardRow(dp: usize, p: usize, n: i32, T: i32, scale: f32): void {
  const pdp = dot(p, dp, n)
  const pdpv = f32x4.splat(pdp), scalev = f32x4.splat(scale)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2
    v128.store(dp + o, f32x4.mul(f32x4.mul(v128.load(p + o), f32x4.sub(v128.load(dp + o), pdpv)), scalev))
  }
  for (; i < n; i++) {
    const o = <usize>i << 2
    store<f32>(dp + o, load<f32>(p + o) * (load<f32>(dp + o) - pdp) * scale)
  }
  if (n < T) memory.fill(dp + (<usize>n << 2), 0, <usize>(T - n) << 2)
}
