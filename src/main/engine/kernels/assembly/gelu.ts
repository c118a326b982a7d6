// GELU, tanh approximation (Hugging Face "gelu_new"):
//   gelu(x) = ½x(1 + tanh(u)),  u = √(2/π)(x + 0.044715x³)
//   gelu'(x) = ½(1 + tanh(u)) + ½x(1 − tanh²(u))·√(2/π)(1 + 3·0.044715x²)
import { madd } from './simd'
import { vtanh, tanhf } from './math'

const S: f32 = 0.7978845608028654 // √(2/π)
const A: f32 = 0.044715

export function geluForward(out: usize, inp: usize, n: i32): void {
  const sv = f32x4.splat(S), av = f32x4.splat(A), half = f32x4.splat(0.5), one = f32x4.splat(1)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2
    const x = v128.load(inp + o)
    const x2 = f32x4.mul(x, x)
    const u = f32x4.mul(sv, f32x4.mul(x, madd(av, x2, one)))
    v128.store(out + o, f32x4.mul(f32x4.mul(half, x), f32x4.add(one, vtanh(u))))
  }
  for (; i < n; i++) {
    const o = <usize>i << 2
    const x = load<f32>(inp + o)
    const u = S * x * (1 + A * x * x)
    store<f32>(out + o, <f32>0.5 * x * (1 + tanhf(u)))
  }
}

export function geluBackward(dinp: usize, inp: usize, dout: usize, n: i32): void {
  const sv = f32x4.splat(S), av = f32x4.splat(A), a3v = f32x4.splat(3 * A)
  const half = f32x4.splat(0.5), one = f32x4.splat(1)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2
    const x = v128.load(inp + o)
    const x2 = f32x4.mul(x, x)
    const th = vtanh(f32x4.mul(sv, f32x4.mul(x, madd(av, x2, one))))
    const sech2 = f32x4.sub(one, f32x4.mul(th, th))
    const du = f32x4.mul(sv, madd(a3v, x2, one))
    const grad = madd(f32x4.mul(f32x4.mul(half, x), sech2), du, f32x4.mul(half, f32x4.add(one, th)))
    v128.store(dinp + o, madd(grad, v128.load(dout + o), v128.load(dinp + o)))
  }
  for (; i < n; i++) {
    const o = <usize>i << 2
    const x = load<f32>(inp + o)
    const th = tanhf(S * x * (1 + A * x * x))
    const grad: f32 = <f32>0.5 * (1 + th) + <f32>0.5 * x * (1 - th * th) * S * (1 + 3 * A * x * x)
    store<f32>(dinp + o, load<f32>(dinp + o) + grad * load<f32>(dout + o))
  }
}
