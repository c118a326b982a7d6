// Softmax + cross-entropy, fused and numerically stable (max subtracted before exp).
import { vexp, expf, log64 } from './math'

export function crossEntropyForward(losses: usize, probs: usize, logits: usize, targets: usize, N: i32, V: i32): f64 {
  const row = <usize>V << 2
  let total: f64 = 0
  for (let n = 0; n < N; n++) {
    const x = logits + <usize>n * row, p = probs + <usize>n * row
    const target = load<i32>(targets + (<usize>n << 2))
    let mx = f32x4.splat(-Infinity)
    let i = 0
    for (; i + 4 <= V; i += 4) mx = f32x4.pmax(mx, v128.load(x + (<usize>i << 2)))
    let m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)))
    for (; i < V; i++) m = max(m, load<f32>(x + (<usize>i << 2)))
    // Read the target's logit before probs (which may alias logits) overwrites it.
    const targetLogit: f32 = target >= 0 ? load<f32>(x + (<usize>target << 2)) : 0
    const mv = f32x4.splat(m)
    let sv = f32x4.splat(0)
    i = 0
    for (; i + 4 <= V; i += 4) {
      const o = <usize>i << 2
      const e = vexp(f32x4.sub(v128.load(x + o), mv))
      v128.store(p + o, e)
      sv = f32x4.add(sv, e)
    }
    let s = <f64>f32x4.extract_lane(sv, 0) + <f64>f32x4.extract_lane(sv, 1) + <f64>f32x4.extract_lane(sv, 2) + <f64>f32x4.extract_lane(sv, 3)
    for (; i < V; i++) {
      const o = <usize>i << 2
      const e = expf(load<f32>(x + o) - m)
      store<f32>(p + o, e)
      s += e
    }
    const inv = <f32>(1 / s)
    const invv = f32x4.splat(inv)
    i = 0
    for (; i + 4 <= V; i += 4) {
      const o = p + (<usize>i << 2)
      v128.store(o, f32x4.mul(v128.load(o), invv))
    }
    for (; i < V; i++) {
      const o = p + (<usize>i << 2)
      store<f32>(o, load<f32>(o) * inv)
    }
    // −log p(target) = log Σ e^(x−m) − (x_target − m), in f64.
    const loss: f64 = target >= 0 ? log64(s) - (<f64>targetLogit - <f64>m) : 0
    store<f32>(losses + (<usize>n << 2), <f32>loss)
    total += loss
  }
  return total
}

export function crossEntropyBackward(dlogits: usize, probs: usize, targets: usize, N: i32, V: i32, scale: f32): void {
  const row = <usize>V << 2
  const sv = f32x4.splat(scale)
  for (let n = 0; n < N; n++) {
    const p = probs + <usize>n * row, d = dlogits + <usize>n * row
    const target = load<i32>(targets + (<usize>n << 2))
    if (target < 0) {
      memory.fill(d, 0, row)
      continue
    }
    // Read p(target) before dlogits (which may alias probs) overwrites it.
    const pt = load<f32>(p + (<usize>target << 2))
    let i = 0
    for (; i + 4 <= V; i += 4) {
      const o = <usize>i << 2
      v128.store(d + o, f32x4.mul(v128.load(p + o), sv))
    }
    for (; i < V; i++) {
      const o = <usize>i << 2
      store<f32>(d + o, load<f32>(p + o) * scale)
    }
    store<f32>(d + (<usize>target << 2), (pt - 1) * scale)
  }
}
