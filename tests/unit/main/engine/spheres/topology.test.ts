import { describe, expect, it } from 'vitest'
import { shardOf, sliceOf } from '../../../../../src/main/engine/spheres/control'
import { firstRing, sphereChildren, sphereParent, sphereTopology } from '../../../../../src/main/engine/spheres/topology'

describe('kissing-sphere topology', () => {
  it('puts up to 12 spheres around the coordinator and 12 around each of those', () => {
    const places = sphereTopology(160)
    expect(places.filter((p) => p.parent === -1).map((p) => p.id)).toEqual(firstRing(160))
    expect(firstRing(5)).toEqual([0, 1, 2, 3, 4])
    expect(sphereChildren(0, 160)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23])
    expect(sphereChildren(11, 160)).toEqual(Array.from({ length: 12 }, (_, i) => 144 + i))
    expect(sphereChildren(12, 160)).toEqual([156, 157, 158, 159])
    expect(sphereChildren(3, 30)).toEqual([])
    for (const p of places) {
      expect(p.group).toBe(p.id % 12)
      expect(p.parent).toBe(sphereParent(p.id))
      if (p.parent >= 0) expect(places[p.parent].children).toContain(p.id)
      expect(p.children.length).toBeLessThanOrEqual(12)
    }
    expect(places[156].depth).toBe(2)
  })

  it('places each ring at its distance and each child in its parent’s sector, without overlaps in a ring', () => {
    const places = sphereTopology(40)
    for (const p of places) expect(Math.hypot(p.x, p.y)).toBeCloseTo(p.depth + 1, 9)
    const angle = (id: number) => Math.atan2(places[id].y, places[id].x)
    for (const p of places.filter((q) => q.parent >= 0)) {
      const delta = Math.abs(Math.atan2(Math.sin(angle(p.id) - angle(p.parent)), Math.cos(angle(p.id) - angle(p.parent))))
      expect(delta).toBeLessThan(Math.PI / 12)
    }
    for (const a of places) {
      for (const b of places) {
        if (a.id < b.id && a.depth === b.depth) expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThan(a.r + b.r)
      }
    }
  })
})

describe('work division', () => {
  it('splits rows into contiguous shards differing by at most one', () => {
    for (const [rows, threads] of [[5, 2], [5, 3], [2, 3], [16, 16], [7, 1]]) {
      const shards = Array.from({ length: threads }, (_, id) => shardOf(rows, threads, id))
      expect(shards.reduce((n, s) => n + s.count, 0)).toBe(rows)
      shards.forEach((s, id) => id > 0 && expect(s.first).toBe(shards[id - 1].first + shards[id - 1].count))
      expect(Math.max(...shards.map((s) => s.count)) - Math.min(...shards.map((s) => s.count))).toBeLessThanOrEqual(1)
    }
    expect([0, 1, 2].map((id) => shardOf(2, 3, id).count)).toEqual([1, 1, 0])
  })

  it('splits the gradient into contiguous 64-byte-aligned slices covering it exactly', () => {
    for (const [total, threads] of [[134_160, 2], [134_160, 3], [64, 5], [16 * 1000, 7]]) {
      let end = 0
      for (let id = 0; id < threads; id++) {
        const s = sliceOf(total, threads, id)
        expect(s.start).toBe(end)
        expect(s.start % 16).toBe(0)
        end = s.end
      }
      expect(end).toBe(total)
    }
  })
})
