/**
 * The rank of each mergeable pair of ids, in an open-addressing table of typed arrays: the lookup
 * BPE does most while merging a new word, several times cheaper than a Map and free of garbage.
 * Kept at most a quarter full, so that a pair that is not there (the usual answer) is found
 * missing within a probe or two.
 */
export const NO_RANK = 0x7fffffff
/** Ids stay below 2^18 (the engine's vocabulary ceiling): a pair's key `left * 2^20 + right` is exact. */
const KEY_SCALE = 1 << 20

export class PairRanks {
  /** Per slot: the pair's key, or -1 when the slot is empty. */
  private readonly keys: Float64Array
  private readonly ranks: Int32Array
  private readonly mask: number

  /** `pairs` holds (left, right) per rank; a pair listed twice keeps its first (lowest) rank. */
  constructor(pairs: Int32Array) {
    let size = 16
    while (size < 2 * pairs.length) size *= 2 // pairs.length / 2 entries: at most a quarter full
    this.keys = new Float64Array(size).fill(-1)
    this.ranks = new Int32Array(size)
    this.mask = size - 1
    for (let rank = 0; 2 * rank < pairs.length; rank++) {
      const left = pairs[2 * rank]
      const right = pairs[2 * rank + 1]
      const key = left * KEY_SCALE + right
      let slot = pairHash(left, right) & this.mask
      while (this.keys[slot] >= 0 && this.keys[slot] !== key) slot = (slot + 1) & this.mask
      if (this.keys[slot] === key) continue
      this.keys[slot] = key
      this.ranks[slot] = rank
    }
  }

  /** The rank of merging `left` then `right`, or NO_RANK. */
  get(left: number, right: number): number {
    const keys = this.keys
    const key = left * KEY_SCALE + right
    for (let slot = pairHash(left, right) & this.mask; ; slot = (slot + 1) & this.mask) {
      const found = keys[slot]
      if (found === key) return this.ranks[slot]
      if (found < 0) return NO_RANK
    }
  }
}

function pairHash(left: number, right: number): number {
  const hash = Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca6b)
  return hash ^ (hash >>> 15)
}
