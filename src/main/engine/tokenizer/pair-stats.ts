/**
 * The BPE trainer's bookkeeping of adjacent pairs: each distinct (left, right) gets a number, its
 * total count, and the list of words it occurs in (to visit when it is merged). All in typed arrays
 * (a hash table of pairs, linked lists in one node pool whose freed nodes are reused), so that
 * training makes almost no garbage: with Maps of arrays, rehashed tables and regrown lists piled
 * up tens of MB before a collection.
 */
import { widened } from './slice-table'

export class PairStats {
  /** Pair + 1 per slot (0: empty); open addressing, kept at most half full. */
  private slots = new Int32Array(1 << 13)
  lefts = new Int32Array(1 << 12)
  rights = new Int32Array(1 << 12)
  /** Occurrences of each pair over the corpus (0: none left). */
  counts = new Float64Array(1 << 12)
  private heads = new Int32Array(1 << 12)
  private tails = new Int32Array(1 << 12)
  private nodeWords: Int32Array
  private nodeNexts: Int32Array
  private nodes = 0
  /** First node of the list of freed nodes, or -1. */
  private free = -1
  /** Distinct pairs ever seen. */
  size = 0

  /** `nodes`: room for this many list entries at first (the adjacent pairs of all words fit). */
  constructor(nodes: number) {
    this.nodeWords = new Int32Array(Math.max(16, nodes))
    this.nodeNexts = new Int32Array(Math.max(16, nodes))
  }

  /** The number of pair (left, right), made on first sight. */
  pairOf(left: number, right: number): number {
    const slots = this.slots
    const mask = slots.length - 1
    let slot = pairHash(left, right) & mask
    for (;;) {
      const pair = slots[slot] - 1
      if (pair < 0) break
      if (this.lefts[pair] === left && this.rights[pair] === right) return pair
      slot = (slot + 1) & mask
    }
    if (this.size === this.lefts.length) this.growPairs()
    const pair = this.size++
    this.lefts[pair] = left
    this.rights[pair] = right
    this.counts[pair] = 0
    this.heads[pair] = -1
    this.tails[pair] = -1
    if (2 * this.size > slots.length) this.rehash()
    else slots[slot] = pair + 1
    return pair
  }

  /** Notes that word `word` contains `pair` (words are noted in order, so a repeat is the last). */
  note(pair: number, word: number): void {
    const tail = this.tails[pair]
    if (tail >= 0 && this.nodeWords[tail] === word) return
    let node = this.free
    if (node >= 0) {
      this.free = this.nodeNexts[node]
    } else {
      if (this.nodes === this.nodeWords.length) {
        this.nodeWords = widened(this.nodeWords, 2 * this.nodes)
        this.nodeNexts = widened(this.nodeNexts, 2 * this.nodes)
      }
      node = this.nodes++
    }
    this.nodeWords[node] = word
    this.nodeNexts[node] = -1
    if (tail >= 0) this.nodeNexts[tail] = node
    else this.heads[pair] = node
    this.tails[pair] = node
  }

  /**
   * The first node of the pair's word list, which the pair gives up (see nodeWord, nextNode);
   * hand it back with `recycle` once read.
   */
  takeWords(pair: number): number {
    const head = this.heads[pair]
    this.heads[pair] = -1
    this.tails[pair] = -1
    return head
  }

  /** Frees a list `takeWords` gave, for later notes. */
  recycle(head: number): void {
    if (head < 0) return
    let tail = head
    while (this.nodeNexts[tail] >= 0) tail = this.nodeNexts[tail]
    this.nodeNexts[tail] = this.free
    this.free = head
  }

  /** Empties the pair's word list (its count fell to zero). */
  forgetWords(pair: number): void {
    this.recycle(this.takeWords(pair))
  }

  nodeWord(node: number): number {
    return this.nodeWords[node]
  }

  /** The node after `node`, or -1. */
  nextNode(node: number): number {
    return this.nodeNexts[node]
  }

  private growPairs(): void {
    const size = 2 * this.lefts.length
    this.lefts = widened(this.lefts, size)
    this.rights = widened(this.rights, size)
    this.heads = widened(this.heads, size)
    this.tails = widened(this.tails, size)
    const counts = new Float64Array(size)
    counts.set(this.counts)
    this.counts = counts
  }

  private rehash(): void {
    const slots = new Int32Array(2 * this.slots.length)
    const mask = slots.length - 1
    for (let pair = 0; pair < this.size; pair++) {
      let slot = pairHash(this.lefts[pair], this.rights[pair]) & mask
      while (slots[slot] !== 0) slot = (slot + 1) & mask
      slots[slot] = pair + 1
    }
    this.slots = slots
  }
}

function pairHash(left: number, right: number): number {
  const hash = Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca6b)
  return hash ^ (hash >>> 15)
}
