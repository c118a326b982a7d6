/**
 * A max-heap of (count, pair key) used by the BPE trainer: highest count first, ties broken by the
 * smallest key (pair keys order pairs by left id, then right id), so training is deterministic.
 * Entries go stale as counts change; the trainer re-checks each popped entry (lazy deletion).
 */
export class PairHeap {
  private counts: number[] = []
  private keys: number[] = []

  get size(): number {
    return this.counts.length
  }

  push(count: number, key: number): void {
    this.counts.push(count)
    this.keys.push(key)
    this.siftUp(this.counts.length - 1)
  }

  /** Removes the top entry and returns it as [count, key]; the heap must not be empty. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]]
    const lastCount = this.counts.pop() as number
    const lastKey = this.keys.pop() as number
    if (this.counts.length > 0) {
      this.counts[0] = lastCount
      this.keys[0] = lastKey
      this.siftDown(0)
    }
    return top
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i]
    const cj = this.counts[j]
    return ci > cj || (ci === cj && this.keys[i] < this.keys[j])
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i]
    this.counts[i] = this.counts[j]
    this.counts[j] = c
    const k = this.keys[i]
    this.keys[i] = this.keys[j]
    this.keys[j] = k
  }

  private siftUp(index: number): void {
    let i = index
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown(index: number): void {
    const n = this.counts.length
    let i = index
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      const child = right < n && this.before(right, left) ? right : left
      if (!this.before(child, i)) break
      this.swap(i, child)
      i = child
    }
  }
}
