import { describe, expect, it } from 'vitest'
import { PairHeap } from '../../../../../src/main/engine/tokenizer/pair-heap'
import { seededUniform } from '../../../support/random'

describe('PairHeap', () => {
  it('pops the highest count first, ties by the smallest key, growing as needed', () => {
    const random = seededUniform(7)
    const entries = Array.from({ length: 5_000 }, (_, pair) => ({
      count: Math.floor(random() * 20),
      key: Math.floor(random() * 1e9),
      pair,
    }))
    const heap = new PairHeap()
    for (const { count, key, pair } of entries) heap.push(count, key, pair)
    const expected = [...entries].sort((a, b) => b.count - a.count || a.key - b.key)
    const popped = expected.map(() => {
      const pair = heap.pop()
      return { count: heap.poppedCount, key: heap.poppedKey, pair }
    })
    expect(heap.size).toBe(0)
    expect(popped.map((e) => [e.count, e.key])).toEqual(expected.map((e) => [e.count, e.key]))
    for (const entry of popped) expect(entries[entry.pair].key).toBe(entry.key)
  })
})
