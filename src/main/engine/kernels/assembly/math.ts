// Transcendental functions written out here instead of taken from AssemblyScript's Math: the standard
// library's versions use lookup tables, which would put a data segment into the shared memory.
import { madd } from './simd'

/**
 * e^x on four lanes (Cephes expf: range reduction by ln 2, degree-6 polynomial; ~1 ulp). Written for
 * x64 code generation: pmin/pmax are single instructions where min/max are not, and n = round(x·log2 e)
 * comes from adding 1.5·2^23, which leaves n in the low mantissa bits, instead of nearest + trunc_sat.
 */
// @ts-ignore: decorator
@inline export function vexp(x: v128): v128 {
  // Clamp so 2^n stays a normal float: e^-87.3 ≈ 1e-38 stands in for 0, e^88.4 ≈ 2e38 for ∞. pmax/pmin
  // keep a NaN in x (the comparison is false), so NaN propagates.
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.33654)), f32x4.splat(88.37626))
  const magic = f32x4.splat(12582912.0) // 1.5 · 2^23
  const t = madd(x, f32x4.splat(1.44269504088896341), magic)
  const n = f32x4.sub(t, magic)
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)))
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)))
  let y = f32x4.splat(1.9875691500e-4)
  y = madd(y, r, f32x4.splat(1.3981999507e-3))
  y = madd(y, r, f32x4.splat(8.3334519073e-3))
  y = madd(y, r, f32x4.splat(4.1665795894e-2))
  y = madd(y, r, f32x4.splat(1.6666665459e-1))
  y = madd(y, r, f32x4.splat(5.0000001201e-1))
  y = madd(y, f32x4.mul(r, r), f32x4.add(r, f32x4.splat(1)))
  // bits(t) = bits(1.5 · 2^23) + n, and bits(1.5 · 2^23) << 23 overflows to 0: 2^n = (bits(t) + 127) << 23.
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23)
  return f32x4.mul(y, scale)
}

/** e^x for one value, through the vector code so tails match the vectorised bodies. */
// @ts-ignore: decorator
@inline export function expf(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0)
}

/** tanh on four lanes: sign(u) · (1 − e^−2|u|) / (1 + e^−2|u|), which never overflows. */
// @ts-ignore: decorator
@inline export function vtanh(u: v128): v128 {
  const t = vexp(f32x4.mul(f32x4.abs(u), f32x4.splat(-2)))
  const mag = f32x4.div(f32x4.sub(f32x4.splat(1), t), f32x4.add(f32x4.splat(1), t))
  // Copy the sign bit of u onto the (non-negative) magnitude.
  return v128.or(mag, v128.and(u, f32x4.splat(-0.0)))
}

// @ts-ignore: decorator
@inline export function tanhf(u: f32): f32 {
  return f32x4.extract_lane(vtanh(f32x4.splat(u)), 0)
}

/**
 * Natural log in f64 for x > 0 (the loss path only: a softmax denominator, always ≥ 1). x = m · 2^e
 * with m in [√½, √2), ln m = 2·atanh((m−1)/(m+1)) by its series; error below 1e-15.
 */
export function log64(x: f64): f64 {
  const bits = reinterpret<u64>(x)
  let e = <i32>((bits >> 52) & 0x7ff) - 1023
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000)
  if (m > 1.4142135623730951) {
    m *= 0.5
    e++
  }
  const s = (m - 1) / (m + 1)
  const s2 = s * s
  let p = 1.0 / 21.0
  p = p * s2 + 1.0 / 19.0
  p = p * s2 + 1.0 / 17.0
  p = p * s2 + 1.0 / 15.0
  p = p * s2 + 1.0 / 13.0
  p = p * s2 + 1.0 / 11.0
  p = p * s2 + 1.0 / 9.0
  p = p * s2 + 1.0 / 7.0
  p = p * s2 + 1.0 / 5.0
  p = p * s2 + 1.0 / 3.0
  p = p * s2 + 1.0
  return <f64>e * 0.6931471805599453 + 2 * s * p
}
