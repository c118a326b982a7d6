// Vector helpers shared by every kernel. ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so the
// relaxed build emits f32x4.relaxed_madd (one fused instruction where the CPU has FMA) and the plain
// build emits mul + add; the branch costs nothing at run time.

/** a · b + c, four lanes. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c)
  return f32x4.add(f32x4.mul(a, b), c)
}

/** out ← v (+ out when accumulating) (+ bias): how every matmul writes four results. */
// @ts-ignore: decorator
@inline export function finish(out: usize, v: v128, bias: usize, accumulate: bool): void {
  if (accumulate) v = f32x4.add(v, v128.load(out))
  if (bias) v = f32x4.add(v, v128.load(bias))
  v128.store(out, v)
}

/** finish for one result. */
// @ts-ignore: decorator
@inline export function finish1(out: usize, v: f32, bias: usize, accumulate: bool): void {
  if (accumulate) v += load<f32>(out)
  if (bias) v += load<f32>(bias)
  store<f32>(out, v)
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1))
  return f32x4.extract_lane(f32x4.add(s, v128.shuffle<f32>(s, s, 1, 0, 3, 2)), 0)
}

/** [Σa, Σb, Σc, Σd]: four horizontal sums at once (a transpose folded into adds). */
// @ts-ignore: decorator
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7))
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7))
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7))
}

/** Scalar tail of a dot product over elements [k0, K) of a and b. */
// @ts-ignore: decorator
@inline export function dotTail(a: usize, b: usize, k0: i32, K: i32): f32 {
  let s: f32 = 0
  for (let k = k0; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2))
  return s
}

/** a · b over K elements. */
// @ts-ignore: decorator
@inline export function dot(a: usize, b: usize, K: i32): f32 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0)
  let k = 0
  for (; k + 8 <= K; k += 8) {
    const o = <usize>k << 2
    c0 = madd(v128.load(a + o), v128.load(b + o), c0)
    c1 = madd(v128.load(a + o, 16), v128.load(b + o, 16), c1)
  }
  for (; k + 4 <= K; k += 4) {
    const o = <usize>k << 2
    c0 = madd(v128.load(a + o), v128.load(b + o), c0)
  }
  return hsum(f32x4.add(c0, c1)) + dotTail(a, b, k, K)
}

/** [a·b0, a·b1, a·b2, a·b3] over K elements: one vector of a feeds four dot products. */
// @ts-ignore: decorator
@inline export function dot1x4(a: usize, b0: usize, b1: usize, b2: usize, b3: usize, K: i32): v128 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0)
  const K4 = K & ~3
  for (let k = 0; k < K4; k += 4) {
    const o = <usize>k << 2
    const x = v128.load(a + o)
    c0 = madd(x, v128.load(b0 + o), c0)
    c1 = madd(x, v128.load(b1 + o), c1)
    c2 = madd(x, v128.load(b2 + o), c2)
    c3 = madd(x, v128.load(b3 + o), c3)
  }
  let r = hsum4(c0, c1, c2, c3)
  if (K4 < K) r = f32x4.add(r, tails4(a, b0, b1, b2, b3, K4, K))
  return r
}

/** The scalar tails [k0, K) of four dot products sharing a. */
// @ts-ignore: decorator
@inline export function tails4(a: usize, b0: usize, b1: usize, b2: usize, b3: usize, k0: i32, K: i32): v128 {
  let t = f32x4.splat(0)
  t = f32x4.replace_lane(t, 0, dotTail(a, b0, k0, K))
  t = f32x4.replace_lane(t, 1, dotTail(a, b1, k0, K))
  t = f32x4.replace_lane(t, 2, dotTail(a, b2, k0, K))
  t = f32x4.replace_lane(t, 3, dotTail(a, b3, k0, K))
  return t
}
