// AdamW (decoupled weight decay), in the order torch.optim.AdamW (single-tensor path) computes it:
//   param ← param·decayFactor                       decayFactor = 1 − lr·weightDecay
//   g = grad·gradScale;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   param ← param − stepSize · m / (√v / √bc2 + eps)  stepSize = lr / bc1
// Every scalar that is a difference or a power (1 − β, lr/bc1, √bc2, 1 − lr·wd) is computed by the
// host in f64 and rounded once on entry; in f32 here, 1 − 0.999 would be 0.000999987, not 0.001.
import { madd } from './simd'

export function adamw(
  params: usize, grads: usize, m: usize, v: usize, n: i32, beta1: f32, oneMinusBeta1: f32,
  beta2: f32, oneMinusBeta2: f32, eps: f32, decayFactor: f32, stepSize: f32,
  sqrtBiasCorrection2: f32, gradScale: f32,
): void {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2)
  const c1 = f32x4.splat(oneMinusBeta1), c2 = f32x4.splat(oneMinusBeta2)
  const sq2 = f32x4.splat(sqrtBiasCorrection2), epsv = f32x4.splat(eps)
  const negStep = f32x4.splat(-stepSize), decay = f32x4.splat(decayFactor), gs = f32x4.splat(gradScale)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2
    const g = f32x4.mul(v128.load(grads + o), gs)
    const mi = madd(c1, g, f32x4.mul(b1, v128.load(m + o)))
    const vi = madd(c2, f32x4.mul(g, g), f32x4.mul(b2, v128.load(v + o)))
    v128.store(m + o, mi)
    v128.store(v + o, vi)
    const p = f32x4.mul(v128.load(params + o), decay)
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), sq2), epsv)
    v128.store(params + o, madd(negStep, f32x4.div(mi, denom), p))
  }
  for (; i < n; i++) {
    const o = <usize>i << 2
    const g = load<f32>(grads + o) * gradScale
    const mi = beta1 * load<f32>(m + o) + oneMinusBeta1 * g
    const vi = beta2 * load<f32>(v + o) + oneMinusBeta2 * (g * g)
    store<f32>(m + o, mi)
    store<f32>(v + o, vi)
    const p = load<f32>(params + o) * decayFactor
    store<f32>(params + o, p - stepSize * (mi / (Mathf.sqrt(vi) / sqrtBiasCorrection2 + eps)))
  }
}
