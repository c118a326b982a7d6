/**
 * The merge step both BPE encoders share (byte-level and SentencePiece): a word's symbols (ids) are
 * merged by rank, the lowest-ranked pair first, the leftmost of equal ones first, until no pair of
 * neighbours has a merge. Repeated scans for short words; a heap (n log n) for long ones. The
 * symbol and rank buffers are reused from word to word.
 */
import { NO_RANK, type PairRanks } from './pair-ranks'

/** Above this many symbols a word is merged with a heap (n log n) instead of repeated scans (n²). */
const SHORT_WORD = 128
const POSITION_SCALE = 2 ** 31

export class SymbolMerger {
  /** A word's symbols while it is merged (grown for long words): fill, then call merge. */
  symbols = new Int32Array(1024)
  private ranks = new Int32Array(1024)

  constructor(
    private readonly pairs: PairRanks,
    /** Per rank, the id of the merged token. */
    private readonly mergeIds: Int32Array,
  ) {}

  /** Makes room for `count` symbols (the contents are not kept). */
  reserve(count: number): void {
    if (this.symbols.length < count) {
      this.symbols = new Int32Array(count)
      this.ranks = new Int32Array(count)
    }
  }

  /** Merges `symbols[0, count)` in place; returns how many symbols are left. */
  merge(count: number): number {
    if (count < 2) return count
    return count <= SHORT_WORD ? this.mergeShort(count) : this.mergeLong(count)
  }

  /** Repeatedly merges the lowest-ranked pair, leftmost first, keeping each pair's rank at hand. */
  private mergeShort(count: number): number {
    const symbols = this.symbols
    const ranks = this.ranks
    const pairs = this.pairs
    let n = count
    for (let i = 0; i + 1 < n; i++) ranks[i] = pairs.get(symbols[i], symbols[i + 1])
    while (n > 1) {
      let best = NO_RANK
      let at = -1
      for (let i = 0; i + 1 < n; i++) {
        if (ranks[i] < best) {
          best = ranks[i]
          at = i
        }
      }
      if (at < 0) break
      symbols[at] = this.mergeIds[best]
      for (let i = at + 1; i + 1 < n; i++) symbols[i] = symbols[i + 1]
      for (let i = at; i + 2 < n; i++) ranks[i] = ranks[i + 1]
      n--
      if (at > 0) ranks[at - 1] = pairs.get(symbols[at - 1], symbols[at])
      if (at + 1 < n) ranks[at] = pairs.get(symbols[at], symbols[at + 1])
    }
    return n
  }

  /**
   * The same merge order for long words, in n log n: a linked list of symbols and a heap of
   * (rank, position) entries; an entry whose pair has changed since it was pushed is skipped.
   */
  private mergeLong(n: number): number {
    const symbols = this.symbols
    const pairs = this.pairs
    const next = new Int32Array(n)
    const prev = new Int32Array(n)
    const alive = new Uint8Array(n).fill(1)
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1
      prev[i] = i - 1
    }
    const heap = new MinHeap()
    for (let i = 0; i + 1 < n; i++) {
      const rank = pairs.get(symbols[i], symbols[i + 1])
      if (rank !== NO_RANK) heap.push(rank * POSITION_SCALE + i)
    }
    while (heap.size > 0) {
      const entry = heap.pop()
      const rank = Math.floor(entry / POSITION_SCALE)
      const i = entry - rank * POSITION_SCALE
      const j = next[i]
      if (!alive[i] || j < 0 || pairs.get(symbols[i], symbols[j]) !== rank) continue
      symbols[i] = this.mergeIds[rank]
      alive[j] = 0
      next[i] = next[j]
      if (next[j] >= 0) prev[next[j]] = i
      if (prev[i] >= 0) {
        const before = pairs.get(symbols[prev[i]], symbols[i])
        if (before !== NO_RANK) heap.push(before * POSITION_SCALE + prev[i])
      }
      if (next[i] >= 0) {
        const after = pairs.get(symbols[i], symbols[next[i]])
        if (after !== NO_RANK) heap.push(after * POSITION_SCALE + i)
      }
    }
    // Survivors, left to right, moved to the front (each lands at or before where it was).
    let count = 0
    for (let i = 0; i >= 0; i = next[i]) symbols[count++] = symbols[i]
    return count
  }
}

class MinHeap {
  private items: number[] = []

  get size(): number {
    return this.items.length
  }

  push(value: number): void {
    const items = this.items
    items.push(value)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent] <= value) break
      items[i] = items[parent]
      i = parent
    }
    items[i] = value
  }

  pop(): number {
    const items = this.items
    const top = items[0]
    const last = items.pop() as number
    const n = items.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= n) break
        const child = left + 1 < n && items[left + 1] < items[left] ? left + 1 : left
        if (items[child] >= last) break
        items[i] = items[child]
        i = child
      }
      items[i] = last
    }
    return top
  }
}
