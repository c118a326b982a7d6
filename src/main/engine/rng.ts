/**
 * The engine's one seeded PRNG (xoshiro128**): weight initialisation, the data split and sampler,
 * token sampling. Its whole state is four uint32s, so it can be saved in a checkpoint as plain JSON
 * and restored to continue the same sequence; the same seed gives the same numbers on every machine.
 * Seeds are expanded with splitmix32 so that nearby seeds give unrelated streams.
 */
export type RngState = [number, number, number, number]

export class Rng {
  /**
   * The four words as int32: in a typed array they stay raw 32-bit integers. As object fields,
   * uint32 values above 2^30 are not small integers to V8 and every update boxes a number, which
   * made drawing the 124M shape's weights take twice as long.
   */
  private readonly s = new Int32Array(4)

  private constructor(state: RngState) {
    this.s.set(state.map((word) => word | 0))
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1 // the all-zero state never leaves zero
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
    const s = this.s
    return [s[0] >>> 0, s[1] >>> 0, s[2] >>> 0, s[3] >>> 0]
  }

  /** The next uint32. */
  nextUint32(): number {
    const s = this.s
    const s0 = s[0], s1 = s[1]
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const s2 = s[2] ^ s0
    const s3 = s[3] ^ s1
    s[0] = s0 ^ s3
    s[1] = s1 ^ s2
    s[2] = s2 ^ (s1 << 9)
    s[3] = rotl(s3, 11)
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
