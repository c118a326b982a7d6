/**
 * A small seeded generator for weight initialisation: xoshiro128** seeded through SplitMix32, so the
 * same seed gives the same weights on every machine. Normals by Box–Muller (both values used).
 */
export interface Rng {
  /** Uniform in [0, 1), 32 bits of randomness. */
  uniform(): number
  /** Standard normal. */
  normal(): number
}

export function createRng(seed: number): Rng {
  // Fold a safe integer (up to 2^53) into the 32-bit SplitMix state: low word, then the high word.
  const lo = seed >>> 0
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0
  let mix = (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0
  const splitmix = (): number => {
    mix = (mix + 0x9e3779b9) >>> 0
    let z = mix
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let s0 = splitmix()
  let s1 = splitmix()
  let s2 = splitmix()
  let s3 = splitmix()
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1

  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 11)
    return result
  }
  const uniform = (): number => next() / 0x1_0000_0000

  let spare = 0
  let hasSpare = false
  const normal = (): number => {
    if (hasSpare) {
      hasSpare = false
      return spare
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()))
    const angle = 2 * Math.PI * uniform()
    spare = radius * Math.sin(angle)
    hasSpare = true
    return radius * Math.cos(angle)
  }
  return { uniform, normal }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
