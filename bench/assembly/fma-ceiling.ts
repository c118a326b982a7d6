// The most 128-bit FMA work this core does per second from WebAssembly: ten independent chains of
// f32x4.relaxed_madd and nothing else (no loads, no stores), so neither memory nor the latency of one
// chain limits it. bench/kernels.ts compiles this and quotes the matmuls against it.

/** Runs n rounds of 10 independent FMAs (80 flops per round); returns a lane so nothing is dropped. */
export function fmaRounds(n: i32): f32 {
  const x = f32x4.splat(0.999999), y = f32x4.splat(0.000001)
  let c0 = f32x4.splat(1), c1 = f32x4.splat(1), c2 = f32x4.splat(1), c3 = f32x4.splat(1), c4 = f32x4.splat(1)
  let c5 = f32x4.splat(1), c6 = f32x4.splat(1), c7 = f32x4.splat(1), c8 = f32x4.splat(1), c9 = f32x4.splat(1)
  for (let i = 0; i < n; i++) {
    c0 = f32x4.relaxed_madd(c0, x, y); c1 = f32x4.relaxed_madd(c1, x, y); c2 = f32x4.relaxed_madd(c2, x, y)
    c3 = f32x4.relaxed_madd(c3, x, y); c4 = f32x4.relaxed_madd(c4, x, y); c5 = f32x4.relaxed_madd(c5, x, y)
    c6 = f32x4.relaxed_madd(c6, x, y); c7 = f32x4.relaxed_madd(c7, x, y); c8 = f32x4.relaxed_madd(c8, x, y)
    c9 = f32x4.relaxed_madd(c9, x, y)
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)))
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(c8, c9)), 0)
}
