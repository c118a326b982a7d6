/**
 * The engine's one seeded PRNG (xoshiro128**): weight initialisation, the data split and sampler,
 * token sampling. Its whole state is four uint32s, so it can be saved in a checkpoint as plain JSON
 * and restored to continue the same sequence; the same seed gives the same numbers on every machine.
 * Seeds are expanded with splitmix32 so that nearby seeds give unrelated streams.
 */
export type RngState = [number, number, number, number]

export class Rng {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  private constructor(state: RngState) {
    ;[this.s0, this.s1, this.s2, this.s3] = state
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1 // the all-zero state never leaves zero
  }

  /** A generator for a seed (any safe integer) and optional extra words (e.g. an epoch number). */
  static seeded(seed: number, ...stream: number[]): Rng {
    let x = mixWords(seed, stream)
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    return new Rng([next(), next(), next(), next()])
  }

  static restore(state: RngState): Rng {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)
    ) {
      throw new TypeError('An RNG state is four unsigned 32-bit integers.')
    }
    return new Rng([...state] as RngState)
  }

  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3]
  }

  /** The next uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0
    const t = this.s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    this.s0 >>>= 0
    this.s1 >>>= 0
    this.s2 >>>= 0
    this.s3 >>>= 0
    return result
  }

  /** A float in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / 2 ** 32
  }

  /**
   * A standard normal (Box–Muller). Uses two draws per value and keeps no spare, so the saved state
   * is the whole state.
   */
  nextNormal(): number {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.nextFloat()))
    return radius * Math.cos(2 * Math.PI * this.nextFloat())
  }

  /** An integer in [0, n), without modulo bias; n at most 2^32. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32)
      throw new RangeError(`nextInt needs 1 ≤ n ≤ 2^32, got ${n}`)
    const limit = 2 ** 32 - (2 ** 32 % n)
    for (;;) {
      const x = this.nextUint32()
      if (x < limit) return x % n
    }
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1)
      const item = items[i]
      items[i] = items[j]
      items[j] = item
    }
    return items
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** Folds a seed (up to 2^53) and extra words into one uint32. */
function mixWords(seed: number, stream: number[]): number {
  if (!Number.isSafeInteger(seed))
    throw new RangeError(`A seed must be a safe integer, got ${seed}`)
  let h = 0x811c9dc5
  const words = [
    seed >>> 0,
    Math.floor(Math.abs(seed) / 2 ** 32) >>> 0,
    seed < 0 ? 1 : 0,
    ...stream.map((w) => w >>> 0),
  ]
  for (const word of words) {
    h = Math.imul(h ^ word, 0x01000193) >>> 0
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0
  }
  return h
}
