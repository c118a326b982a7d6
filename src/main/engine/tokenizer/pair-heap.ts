/**
 * A max-heap of (count, pair) used by the BPE trainer: highest count first, ties broken by the
 * smallest key (pair keys order pairs by left id, then right id), so training is deterministic.
 * Entries go stale as counts change; the trainer re-checks each popped entry (lazy deletion).
 * Typed arrays, so that the millions of pushes of a long training make no garbage.
 */
export class PairHeap {
  private counts = new Float64Array(1 << 12)
  private keys = new Float64Array(1 << 12)
  private pairs = new Int32Array(1 << 12)
  private length = 0
  /** The count and key of the entry `pop` returned last. */
  poppedCount = 0
  poppedKey = 0

  get size(): number {
    return this.length
  }

  push(count: number, key: number, pair: number): void {
    if (this.length === this.counts.length) this.grow()
    let i = this.length++
    // Sift up: move parents down until the new entry's place is found.
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(count, key, this.counts[parent], this.keys[parent])) break
      this.move(parent, i)
      i = parent
    }
    this.counts[i] = count
    this.keys[i] = key
    this.pairs[i] = pair
  }

  /** Removes the top entry and returns its pair (its count in `poppedCount`); the heap must not be empty. */
  pop(): number {
    const pair = this.pairs[0]
    this.poppedCount = this.counts[0]
    this.poppedKey = this.keys[0]
    const last = --this.length
    if (last > 0) {
      const count = this.counts[last]
      const key = this.keys[last]
      const lastPair = this.pairs[last]
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= last) break
        const right = left + 1
        const child =
          right < last &&
          before(this.counts[right], this.keys[right], this.counts[left], this.keys[left])
            ? right
            : left
        if (!before(this.counts[child], this.keys[child], count, key)) break
        this.move(child, i)
        i = child
      }
      this.counts[i] = count
      this.keys[i] = key
      this.pairs[i] = lastPair
    }
    return pair
  }

  private move(from: number, to: number): void {
    this.counts[to] = this.counts[from]
    this.keys[to] = this.keys[from]
    this.pairs[to] = this.pairs[from]
  }

  private grow(): void {
    const size = 2 * this.counts.length
    const counts = new Float64Array(size)
    counts.set(this.counts)
    const keys = new Float64Array(size)
    keys.set(this.keys)
    const pairs = new Int32Array(size)
    pairs.set(this.pairs)
    this.counts = counts
    this.keys = keys
    this.pairs = pairs
  }
}

/** Whether entry (count a, key a) comes out before (count b, key b). */
function before(countA: number, keyA: number, countB: number, keyB: number): boolean {
  return countA > countB || (countA === countB && keyA < keyB)
}
