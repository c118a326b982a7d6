// Element-wise helpers: residual adds, gradient accumulation, scaling, norms, clearing.

export function add(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)))
  }
  for (; i < n; i++) {
    const o = <usize>i << 2
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o))
  }
}

export function accumulate(out: usize, a: usize, n: i32): void {
  add(out, out, a, n)
}

export function scale(x: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s)
  let i = 0
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2
    v128.store(x + o, f32x4.mul(v128.load(x + o), sv))
  }
  for (; i < n; i++) {
    const o = <usize>i << 2
    store<f32>(x + o, load<f32>(x + o) * s)
  }
}

/** Σ x², each square and the sum in f64; four f64x2 accumulators so the adds do not wait on each other. */
export function sumSquares(x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0)
  let i = 0
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2)
    const v = v128.load(p), w = v128.load(p, 16)
    const v0 = f64x2.promote_low_f32x4(v), v1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3))
    const w0 = f64x2.promote_low_f32x4(w), w1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(w, w, 2, 3, 2, 3))
    s0 = f64x2.add(s0, f64x2.mul(v0, v0))
    s1 = f64x2.add(s1, f64x2.mul(v1, v1))
    s2 = f64x2.add(s2, f64x2.mul(w0, w0))
    s3 = f64x2.add(s3, f64x2.mul(w1, w1))
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3))
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1)
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2))
    total += v * v
  }
  return total
}

export function zero(x: usize, n: i32): void {
  if (n > 0) memory.fill(x, 0, <usize>n << 2)
}

/** dbias[N] += Σ_m dout[m, N]; 16 columns at a time so four accumulators run down all rows. */
export function biasBackward(dbias: usize, dout: usize, M: i32, N: i32): void {
  const ld = <usize>N << 2
  let j = 0
  for (; j + 16 <= N; j += 16) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0)
    let p = dout + (<usize>j << 2)
    for (let m = 0; m < M; m++) {
      c0 = f32x4.add(c0, v128.load(p)); c1 = f32x4.add(c1, v128.load(p, 16))
      c2 = f32x4.add(c2, v128.load(p, 32)); c3 = f32x4.add(c3, v128.load(p, 48))
      p += ld
    }
    const o = dbias + (<usize>j << 2)
    v128.store(o, f32x4.add(v128.load(o), c0)); v128.store(o, f32x4.add(v128.load(o, 16), c1), 16)
    v128.store(o, f32x4.add(v128.load(o, 32), c2), 32); v128.store(o, f32x4.add(v128.load(o, 48), c3), 48)
  }
  for (; j + 4 <= N; j += 4) {
    let c0 = f32x4.splat(0)
    let p = dout + (<usize>j << 2)
    for (let m = 0; m < M; m++) {
      c0 = f32x4.add(c0, v128.load(p))
      p += ld
    }
    const o = dbias + (<usize>j << 2)
    v128.store(o, f32x4.add(v128.load(o), c0))
  }
  for (; j < N; j++) {
    let c: f32 = 0
    let p = dout + (<usize>j << 2)
    for (let m = 0; m < M; m++) {
      c += load<f32>(p)
      p += ld
    }
    const o = dbias + (<usize>j << 2)
    store<f32>(o, load<f32>(o) + c)
  }
}

/** out[m,:] += bias[:] for each of M rows of N (a bias after a matmul that has none: matmulNT). */
export function biasForward(out: usize, bias: usize, M: i32, N: i32): void {
  for (let m = 0; m < M; m++) add(out + (<usize>(m * N) << 2), out + (<usize>(m * N) << 2), bias, N)
}
