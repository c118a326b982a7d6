/**
 * The rank of each mergeable pair of ids, in an open-addressing table of typed arrays: the lookup
 * BPE does most while merging a new word, several times cheaper than a Map and free of garbage.
 */
export const NO_RANK = 0x7fffffff

export class PairRanks {
  private readonly lefts: Int32Array
  private readonly rights: Int32Array
  private readonly ranks: Int32Array
  private readonly mask: number

  /** `pairs` holds (left, right) per rank; a pair listed twice keeps its first (lowest) rank. */
  constructor(pairs: Int32Array) {
    let size = 16
    while (size < pairs.length) size *= 2 // pairs.length / 2 entries: at most half full
    this.lefts = new Int32Array(size)
    this.rights = new Int32Array(size)
    this.ranks = new Int32Array(size).fill(-1)
    this.mask = size - 1
    for (let rank = 0; 2 * rank < pairs.length; rank++) {
      const left = pairs[2 * rank]
      const right = pairs[2 * rank + 1]
      let slot = pairHash(left, right) & this.mask
      while (this.ranks[slot] >= 0 && !(this.lefts[slot] === left && this.rights[slot] === right))
        slot = (slot + 1) & this.mask
      if (this.ranks[slot] >= 0) continue
      this.lefts[slot] = left
      this.rights[slot] = right
      this.ranks[slot] = rank
    }
  }

  /** The rank of merging `left` then `right`, or NO_RANK. */
  get(left: number, right: number): number {
    const ranks = this.ranks
    for (let slot = pairHash(left, right) & this.mask; ; slot = (slot + 1) & this.mask) {
      const rank = ranks[slot]
      if (rank < 0) return NO_RANK
      if (this.lefts[slot] === left && this.rights[slot] === right) return rank
    }
  }
}

function pairHash(left: number, right: number): number {
  const hash = Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca6b)
  return hash ^ (hash >>> 15)
}
