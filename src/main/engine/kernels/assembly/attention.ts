// Causal multi-head self-attention over qkv[B, T, 3C] (q | k | v; head h owns columns h·hs … h·hs+hs of
// each). att[B, NH, T, T] keeps the softmax probabilities (zero above the diagonal) for backward.
// Scores are dot products along the head dimension, four keys at a time (dot1x4); the weighted sums
// of values run along the head dimension with their accumulators in registers (weightedRowSum).
import { dot, dot1x4, axpy, weightedRowSum } from './simd'
import { vexp, expf } from './math'

/** In place: row[0..n) ← softmax(row[0..n)); row[n..T) ← 0. */
// @ts-ignore: decorator
@inline function softmaxCausalRow(row: usize, n: i32, T: i32): void {
  let mx = f32x4.splat(-Infinity)
  let i = 0
  for (; i + 4 <= n; i += 4) mx = f32x4.pmax(mx, v128.load(row + (<usize>i << 2)))
  let m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)))
  for (; i < n; i++) m = max(m, load<f32>(row + (<usize>i << 2)))
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
 * One query of one head: row[0..n) ← softmax(scale · q·keys[0..n)), row[n..rowLength) ← 0, and
 * out[0..hs) ← Σ row[t2]·values[t2]. Keys and values are ld bytes apart.
 */
// @ts-ignore: decorator
@inline function attendOne(out: usize, row: usize, q: usize, keys: usize, values: usize, ld: usize, n: i32, rowLength: i32, hs: i32, scale: f32): void {
  const scalev = f32x4.splat(scale)
  let t2 = 0
  for (; t2 + 4 <= n; t2 += 4) {
    const k0 = keys + <usize>t2 * ld
    const s = dot1x4(q, k0, k0 + ld, k0 + 2 * ld, k0 + 3 * ld, hs)
    v128.store(row + (<usize>t2 << 2), f32x4.mul(s, scalev))
  }
  for (; t2 < n; t2++) store<f32>(row + (<usize>t2 << 2), dot(q, keys + <usize>t2 * ld, hs) * scale)
  softmaxCausalRow(row, n, rowLength)
  weightedRowSum(out, row, values, ld, n, hs, false)
}

export function attentionForward(out: usize, att: usize, qkv: usize, B: i32, T: i32, C: i32, NH: i32): void {
  const hs = C / NH
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs)
  const ld = <usize>(3 * C) << 2 // bytes between consecutive positions in qkv
  for (let b = 0; b < B; b++) {
    const base = qkv + <usize>(b * T) * ld
    for (let h = 0; h < NH; h++) {
      const hOff = <usize>(h * hs) << 2
      const keys = base + (<usize>C << 2) + hOff
      const values = base + (<usize>(2 * C) << 2) + hOff
      for (let t = 0; t < T; t++) {
        const row = att + (<usize>((b * NH + h) * T + t) * <usize>T << 2)
        attendOne(out + (<usize>(b * T + t) * <usize>C << 2) + hOff, row, base + <usize>t * ld + hOff, keys, values, ld, t + 1, T, hs, scale)
      }
    }
  }
}

/**
 * The last position t of one window only (generation with a key/value cache): qkv[0..t] hold the
 * window's q | k | v rows, out[C] receives position t's heads; att is scratch of NH·(t+1) floats.
 * The same arithmetic as attentionForward's row t, so the results are identical.
 */
export function attentionStep(out: usize, att: usize, qkv: usize, t: i32, C: i32, NH: i32): void {
  const hs = C / NH
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs)
  const ld = <usize>(3 * C) << 2
  const n = t + 1
  for (let h = 0; h < NH; h++) {
    const hOff = <usize>(h * hs) << 2
    const row = att + (<usize>(h * n) << 2)
    attendOne(out + hOff, row, qkv + <usize>t * ld + hOff, qkv + (<usize>C << 2) + hOff, qkv + (<usize>(2 * C) << 2) + hOff, ld, n, n, hs, scale)
  }
}

/**
 * Per (b, t, h), with p = att row, do = dout slice:
 *   dp[t2] = v[t2]·do,  dv[t2] += p[t2]·do,
 *   ds[t2] = p[t2]·(dp[t2] − Σ p·dp) · scale   (softmax backward, kept in datt),
 *   dq += Σ ds[t2]·k[t2],  dk[t2] += ds[t2]·q.
 */
export function attentionBackward(
  dqkv: usize, datt: usize, dout: usize, qkv: usize, att: usize, B: i32, T: i32, C: i32, NH: i32,
): void {
  const hs = C / NH
  const scale: f32 = 1 / Mathf.sqrt(<f32>hs)
  const ld = <usize>(3 * C) << 2
  for (let b = 0; b < B; b++) {
    const base = qkv + <usize>(b * T) * ld
    const dbase = dqkv + <usize>(b * T) * ld
    for (let h = 0; h < NH; h++) {
      const hOff = <usize>(h * hs) << 2
      const kOff = (<usize>C << 2) + hOff, vOff = (<usize>(2 * C) << 2) + hOff
      for (let t = 0; t < T; t++) {
        const p = att + (<usize>((b * NH + h) * T + t) * <usize>T << 2)
        const dp = datt + (<usize>((b * NH + h) * T + t) * <usize>T << 2)
        const g = dout + (<usize>(b * T + t) * <usize>C << 2) + hOff
        const n = t + 1
        // dp = V · do, four positions at a time; dv += p · do.
        let t2 = 0
        for (; t2 + 4 <= n; t2 += 4) {
          const v0 = base + <usize>t2 * ld + vOff
          v128.store(dp + (<usize>t2 << 2), dot1x4(g, v0, v0 + ld, v0 + 2 * ld, v0 + 3 * ld, hs))
        }
        for (; t2 < n; t2++) store<f32>(dp + (<usize>t2 << 2), dot(g, base + <usize>t2 * ld + vOff, hs))
        for (t2 = 0; t2 < n; t2++) axpy(dbase + <usize>t2 * ld + vOff, g, load<f32>(p + (<usize>t2 << 2)), hs)
        // Softmax backward in place.
        const pdp = dot(p, dp, n)
        const pdpv = f32x4.splat(pdp), scalev = f32x4.splat(scale)
        t2 = 0
        for (; t2 + 4 <= n; t2 += 4) {
          const o = <usize>t2 << 2
          const ds = f32x4.mul(f32x4.mul(v128.load(p + o), f32x4.sub(v128.load(dp + o), pdpv)), scalev)
          v128.store(dp + o, ds)
        }
        for (; t2 < n; t2++) {
          const o = <usize>t2 << 2
          store<f32>(dp + o, load<f32>(p + o) * (load<f32>(dp + o) - pdp) * scale)
        }
        if (n < T) memory.fill(dp + (<usize>n << 2), 0, <usize>(T - n) << 2)
        // dq += Σ ds·k; dk += ds·q.
        const q = base + <usize>t * ld + hOff
        weightedRowSum(dbase + <usize>t * ld + hOff, dp, base + kOff, ld, n, hs, true)
        for (t2 = 0; t2 < n; t2++) axpy(dbase + <usize>t2 * ld + kOff, q, load<f32>(dp + (<usize>t2 << 2)), hs)
      }
    }
  }
}
