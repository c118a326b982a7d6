import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { mapInOrder } from '../../../../../src/main/engine/corpus/ordered-pool'

describe('mapInOrder', () => {
  it('keeps the input order whatever order calls finish in, with at most `limit` in flight', async () => {
    const items = Array.from({ length: 40 }, (_, i) => i)
    let inFlight = 0
    let maxInFlight = 0
    const finished: number[] = []
    const results = await mapInOrder(items, 5, async (item) => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await sleep((item * 7) % 11) // later items often finish first
      inFlight--
      finished.push(item)
      return item * 2
    })
    expect(results).toEqual(items.map((i) => i * 2))
    expect(finished).not.toEqual(items)
    expect(maxInFlight).toBe(5)
  })

  it('handles an empty list', async () => {
    expect(await mapInOrder([], 4, async () => 1)).toEqual([])
  })

  it('starts nothing new after a failure, lets calls in flight finish, then throws the first error', async () => {
    const started: number[] = []
    let settled = 0
    const run = mapInOrder(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async (item) => {
        started.push(item)
        await sleep(item === 2 ? 1 : 5)
        settled++
        if (item === 2) throw new Error('boom at 2')
        return item
      },
    )
    await expect(run).rejects.toThrow('boom at 2')
    expect(settled).toBe(started.length)
    expect(started.length).toBeLessThan(10)
  })
})
