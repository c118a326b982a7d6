// AdamW (decoupled weight decay), as in Loshchilov & Hutter and PyTorch's AdamW:
//   g = grad·gradScale;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   param ← param − lr·( (m/bc1) / (√(v/bc2) + eps) + weightDecay·param )
import { madd } from './simd'

export function adamw(
  params: usize, grads: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32,
  eps: f32, weightDecay: f32, biasCorrection1: f32, biasCorrection2: f32, gradScale: f32,
): void {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2)
  const c1 = f32x4.splat(1 - beta1), c2 = f32x4.splat(1 - beta2)
  const inv1 = f32x4.splat(1 / biasCorrection1), inv2 = f32x4.splat(1 / biasCorrection2)
  const epsv = f32x4.splat(eps), lrv = f32x4.splat(lr), wdv = f32x4.splat(weightDecay), gs = f32x4.splat(gradScale)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2
    const g = f32x4.mul(v128.load(grads + o), gs)
    const mi = madd(b1, v128.load(m + o), f32x4.mul(c1, g))
    const vi = madd(b2, v128.load(v + o), f32x4.mul(c2, f32x4.mul(g, g)))
    v128.store(m + o, mi)
    v128.store(v + o, vi)
    const p = v128.load(params + o)
    const update = f32x4.div(f32x4.mul(mi, inv1), f32x4.add(f32x4.sqrt(f32x4.mul(vi, inv2)), epsv))
    v128.store(params + o, f32x4.sub(p, f32x4.mul(lrv, madd(wdv, p, update))))
  }
  const i1: f32 = 1 / biasCorrection1, i2: f32 = 1 / biasCorrection2
  for (; i < n; i++) {
    const o = <usize>i << 2
    const g = load<f32>(grads + o) * gradScale
    const mi = beta1 * load<f32>(m + o) + (1 - beta1) * g
    const vi = beta2 * load<f32>(v + o) + (1 - beta2) * g * g
    store<f32>(m + o, mi)
    store<f32>(v + o, vi)
    const p = load<f32>(params + o)
    store<f32>(params + o, p - lr * ((mi * i1) / (Mathf.sqrt(vi * i2) + eps) + weightDecay * p))
  }
}
