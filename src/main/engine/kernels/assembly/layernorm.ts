// LayerNorm over the last dimension C, eps 1e-5, two passes for the variance (no cancellation).
import { madd, hsum } from './simd'

const EPS: f32 = 1e-5

/** Σ x over C elements. */
// @ts-ignore: decorator
@inline function rowSum(x: usize, C: i32): f32 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0)
  let i = 0
  for (; i + 8 <= C; i += 8) {
    const o = <usize>i << 2
    c0 = f32x4.add(c0, v128.load(x + o)); c1 = f32x4.add(c1, v128.load(x + o, 16))
  }
  for (; i + 4 <= C; i += 4) c0 = f32x4.add(c0, v128.load(x + (<usize>i << 2)))
  let s = hsum(f32x4.add(c0, c1))
  for (; i < C; i++) s += load<f32>(x + (<usize>i << 2))
  return s
}

/** Σ (x − m)² over C elements. */
// @ts-ignore: decorator
@inline function rowSquaredDeviation(x: usize, m: f32, C: i32): f32 {
  const mv = f32x4.splat(m)
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0)
  let i = 0
  for (; i + 8 <= C; i += 8) {
    const o = <usize>i << 2
    const d0 = f32x4.sub(v128.load(x + o), mv), d1 = f32x4.sub(v128.load(x + o, 16), mv)
    c0 = madd(d0, d0, c0); c1 = madd(d1, d1, c1)
  }
  for (; i + 4 <= C; i += 4) {
    const d = f32x4.sub(v128.load(x + (<usize>i << 2)), mv)
    c0 = madd(d, d, c0)
  }
  let s = hsum(f32x4.add(c0, c1))
  for (; i < C; i++) {
    const d = load<f32>(x + (<usize>i << 2)) - m
    s += d * d
  }
  return s
}

export function layernormForward(
  out: usize, mean: usize, rstd: usize, inp: usize, weight: usize, bias: usize, N: i32, C: i32,
): void {
  const row = <usize>C << 2
  const invC: f32 = 1 / <f32>C
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, y = out + <usize>n * row
    const m = rowSum(x, C) * invC
    const r: f32 = 1 / Mathf.sqrt(rowSquaredDeviation(x, m, C) * invC + EPS)
    const mv = f32x4.splat(m), rv = f32x4.splat(r)
    let i = 0
    for (; i + 4 <= C; i += 4) {
      const o = <usize>i << 2
      const norm = f32x4.mul(f32x4.sub(v128.load(x + o), mv), rv)
      v128.store(y + o, madd(norm, v128.load(weight + o), v128.load(bias + o)))
    }
    for (; i < C; i++) {
      const o = <usize>i << 2
      store<f32>(y + o, (load<f32>(x + o) - m) * r * load<f32>(weight + o) + load<f32>(bias + o))
    }
    store<f32>(mean + (<usize>n << 2), m)
    store<f32>(rstd + (<usize>n << 2), r)
  }
}

/**
 * With x̂ = (x − mean)·rstd and g = weight·dout:
 *   dinp += rstd · (g − mean(g) − x̂ · mean(g·x̂)),  dweight += dout·x̂,  dbias += dout.
 */
export function layernormBackward(
  dinp: usize, dweight: usize, dbias: usize, dout: usize, inp: usize, weight: usize,
  mean: usize, rstd: usize, N: i32, C: i32,
): void {
  const row = <usize>C << 2
  const invC: f32 = 1 / <f32>C
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, dy = dout + <usize>n * row, dx = dinp + <usize>n * row
    const m = load<f32>(mean + (<usize>n << 2)), r = load<f32>(rstd + (<usize>n << 2))
    const mv = f32x4.splat(m), rv = f32x4.splat(r)
    // Pass 1: the two row means.
    let sg = f32x4.splat(0), sgx = f32x4.splat(0)
    let i = 0
    for (; i + 4 <= C; i += 4) {
      const o = <usize>i << 2
      const norm = f32x4.mul(f32x4.sub(v128.load(x + o), mv), rv)
      const g = f32x4.mul(v128.load(weight + o), v128.load(dy + o))
      sg = f32x4.add(sg, g)
      sgx = madd(g, norm, sgx)
    }
    let gMean = hsum(sg), gxMean = hsum(sgx)
    for (; i < C; i++) {
      const o = <usize>i << 2
      const norm = (load<f32>(x + o) - m) * r
      const g = load<f32>(weight + o) * load<f32>(dy + o)
      gMean += g
      gxMean += g * norm
    }
    gMean *= invC
    gxMean *= invC
    // Pass 2: the three gradients.
    const gmv = f32x4.splat(gMean), gxmv = f32x4.splat(gxMean)
    i = 0
    for (; i + 4 <= C; i += 4) {
      const o = <usize>i << 2
      const norm = f32x4.mul(f32x4.sub(v128.load(x + o), mv), rv)
      const d = v128.load(dy + o)
      v128.store(dbias + o, f32x4.add(v128.load(dbias + o), d))
      v128.store(dweight + o, madd(norm, d, v128.load(dweight + o)))
      const g = f32x4.mul(v128.load(weight + o), d)
      const v = f32x4.mul(f32x4.sub(f32x4.sub(g, gmv), f32x4.mul(norm, gxmv)), rv)
      v128.store(dx + o, f32x4.add(v128.load(dx + o), v))
    }
    for (; i < C; i++) {
      const o = <usize>i << 2
      const norm = (load<f32>(x + o) - m) * r
      const d = load<f32>(dy + o)
      store<f32>(dbias + o, load<f32>(dbias + o) + d)
      store<f32>(dweight + o, load<f32>(dweight + o) + norm * d)
      const g = load<f32>(weight + o) * d
      store<f32>(dx + o, load<f32>(dx + o) + (g - gMean - norm * gxMean) * r)
    }
  }
}
