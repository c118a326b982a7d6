// RMSNorm over the last dimension C (Llama): y = weight · x · rstd, rstd = 1 / √(mean(x²) + eps).
import { madd, hsum } from './simd'

/** Σ x² over C elements. */
// @ts-ignore: decorator
@inline function rowSumSquares(x: usize, C: i32): f32 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0)
  let i = 0
  for (; i + 8 <= C; i += 8) {
    const o = <usize>i << 2
    const a = v128.load(x + o), b = v128.load(x + o, 16)
    c0 = madd(a, a, c0); c1 = madd(b, b, c1)
  }
  for (; i + 4 <= C; i += 4) {
    const a = v128.load(x + (<usize>i << 2))
    c0 = madd(a, a, c0)
  }
  let s = hsum(f32x4.add(c0, c1))
  for (; i < C; i++) {
    const a = load<f32>(x + (<usize>i << 2))
    s += a * a
  }
  return s
}

export function rmsnormForward(out: usize, rstd: usize, inp: usize, weight: usize, N: i32, C: i32, eps: f32): void {
  const row = <usize>C << 2
  const invC: f32 = 1 / <f32>C
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, y = out + <usize>n * row
    const r: f32 = 1 / Mathf.sqrt(rowSumSquares(x, C) * invC + eps)
    const rv = f32x4.splat(r)
    let i = 0
    for (; i + 4 <= C; i += 4) {
      const o = <usize>i << 2
      v128.store(y + o, f32x4.mul(v128.load(weight + o), f32x4.mul(v128.load(x + o), rv)))
    }
    for (; i < C; i++) {
      const o = <usize>i << 2
      store<f32>(y + o, load<f32>(weight + o) * (load<f32>(x + o) * r))
    }
    store<f32>(rstd + (<usize>n << 2), r)
  }
}

/**
 * With x̂ = x·rstd and g = weight·dout:  dinp += rstd · (g − x̂ · mean(g·x̂)),  dweight += dout·x̂.
 */
export function rmsnormBackward(
  dinp: usize, dweight: usize, dout: usize, inp: usize, weight: usize, rstd: usize, N: i32, C: i32,
): void {
  const row = <usize>C << 2
  const invC: f32 = 1 / <f32>C
  for (let n = 0; n < N; n++) {
    const x = inp + <usize>n * row, dy = dout + <usize>n * row, dx = dinp + <usize>n * row
    const r = load<f32>(rstd + (<usize>n << 2))
    const rv = f32x4.splat(r)
    let sgx = f32x4.splat(0)
    let i = 0
    for (; i + 4 <= C; i += 4) {
      const o = <usize>i << 2
      const norm = f32x4.mul(v128.load(x + o), rv)
      sgx = madd(f32x4.mul(v128.load(weight + o), v128.load(dy + o)), norm, sgx)
    }
    let gxMean = hsum(sgx)
    for (; i < C; i++) {
      const o = <usize>i << 2
      gxMean += load<f32>(weight + o) * load<f32>(dy + o) * (load<f32>(x + o) * r)
    }
    gxMean *= invC
    const gxmv = f32x4.splat(gxMean)
    i = 0
    for (; i + 4 <= C; i += 4) {
      const o = <usize>i << 2
      const norm = f32x4.mul(v128.load(x + o), rv)
      const d = v128.load(dy + o)
      v128.store(dweight + o, madd(norm, d, v128.load(dweight + o)))
      const g = f32x4.mul(v128.load(weight + o), d)
      v128.store(dx + o, madd(f32x4.sub(g, f32x4.mul(norm, gxmv)), rv, v128.load(dx + o)))
    }
    for (; i < C; i++) {
      const o = <usize>i << 2
      const norm = load<f32>(x + o) * r
      const d = load<f32>(dy + o)
      store<f32>(dweight + o, load<f32>(dweight + o) + norm * d)
      store<f32>(dx + o, load<f32>(dx + o) + (load<f32>(weight + o) * d - norm * gxMean) * r)
    }
  }
}
