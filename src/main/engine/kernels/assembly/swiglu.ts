// SwiGLU (Llama's MLP): gu[N, 2I] holds gate | up per row (one matmul against gate_proj and up_proj
// stacked), out[N, I] = silu(gate) · up with silu(g) = g · σ(g).
import { vexp, expf } from './math'

export function swigluForward(out: usize, gu: usize, N: i32, I: i32): void {
  const one = f32x4.splat(1)
  const upOff = <usize>I << 2
  for (let n = 0; n < N; n++) {
    const g = gu + (<usize>(n * 2 * I) << 2), u = g + upOff, y = out + (<usize>(n * I) << 2)
    let i = 0
    for (; i + 4 <= I; i += 4) {
      const o = <usize>i << 2
      const x = v128.load(g + o)
      const sig = f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))))
      v128.store(y + o, f32x4.mul(f32x4.mul(x, sig), v128.load(u + o)))
    }
    for (; i < I; i++) {
      const o = <usize>i << 2
      const x = load<f32>(g + o)
      const sig: f32 = 1 / (1 + expf(-x))
      store<f32>(y + o, x * sig * load<f32>(u + o))
    }
  }
}

/** dgate += dout · up · σ(g)(1 + g(1 − σ(g))),  dup += dout · silu(g). */
export function swigluBackward(dgu: usize, gu: usize, dout: usize, N: i32, I: i32): void {
  const one = f32x4.splat(1)
  const upOff = <usize>I << 2
  for (let n = 0; n < N; n++) {
    const g = gu + (<usize>(n * 2 * I) << 2), u = g + upOff, dy = dout + (<usize>(n * I) << 2)
    const dg = dgu + (<usize>(n * 2 * I) << 2), du = dg + upOff
    let i = 0
    for (; i + 4 <= I; i += 4) {
      const o = <usize>i << 2
      const x = v128.load(g + o), d = v128.load(dy + o)
      const sig = f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(x))))
      const silu = f32x4.mul(x, sig)
      const dsilu = f32x4.mul(sig, f32x4.add(one, f32x4.mul(x, f32x4.sub(one, sig))))
      v128.store(dg + o, f32x4.add(v128.load(dg + o), f32x4.mul(f32x4.mul(d, v128.load(u + o)), dsilu)))
      v128.store(du + o, f32x4.add(v128.load(du + o), f32x4.mul(d, silu)))
    }
    for (; i < I; i++) {
      const o = <usize>i << 2
      const x = load<f32>(g + o), d = load<f32>(dy + o)
      const sig: f32 = 1 / (1 + expf(-x))
      const dsilu: f32 = sig * (1 + x * (1 - sig))
      store<f32>(dg + o, load<f32>(dg + o) + d * load<f32>(u + o) * dsilu)
      store<f32>(du + o, load<f32>(du + o) + d * x * sig)
    }
  }
}
