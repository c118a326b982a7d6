import { describe, expect, it } from 'vitest'
import { KISSING_NUMBER, sphereLayout, sphereParent } from '../../../src/renderer/src/sphere-layout'
import * as topology from '../../../src/main/engine/spheres/topology'

describe('sphere layout', () => {
  it('follows the engine’s tree: parent and symmetry group of every sphere', () => {
    const engine = topology.sphereTopology(200)
    const drawn = sphereLayout(200).spots
    expect(KISSING_NUMBER).toBe(topology.KISSING_NUMBER)
    for (let id = 0; id < 200; id++) {
      expect(sphereParent(id)).toBe(engine[id].parent)
      expect(drawn[id].parent).toBe(engine[id].parent)
      expect(drawn[id].group).toBe(engine[id].group)
      expect(drawn[id].depth).toBe(engine[id].depth)
    }
  })

  it('places the first ring around the coordinator and shows its empty places', () => {
    for (const count of [1, 2, 7, 12]) {
      const layout = sphereLayout(count)
      expect(layout.spots).toHaveLength(count)
      expect(layout.ghosts).toHaveLength(KISSING_NUMBER - count)
      for (const spot of layout.spots) {
        expect(Math.hypot(spot.x, spot.y)).toBeCloseTo(1, 9)
      }
    }
    expect(sphereLayout(30).ghosts).toHaveLength(0)
  })

  it('draws no two spheres over each other, nor over the coordinator, and keeps all in bounds', () => {
    for (const count of [2, 12, 13, 24, 64, 156]) {
      const { spots, coordinator, extent } = sphereLayout(count)
      for (const a of spots) {
        expect(Math.hypot(a.x, a.y)).toBeGreaterThanOrEqual(coordinator.r + a.r - 1e-9)
        expect(Math.hypot(a.x, a.y) + a.r).toBeLessThanOrEqual(extent + 1e-9)
        for (const b of spots) {
          if (b.id <= a.id) continue
          expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThanOrEqual(a.r + b.r - 1e-9)
        }
      }
    }
  })

  it('puts each child farther out than its parent, within the parent’s direction', () => {
    const { spots } = sphereLayout(60)
    for (const spot of spots.filter((s) => s.parent >= 0)) {
      const parent = spots[spot.parent]
      expect(Math.hypot(spot.x, spot.y)).toBeGreaterThan(Math.hypot(parent.x, parent.y))
      const cos =
        (spot.x * parent.x + spot.y * parent.y) /
        (Math.hypot(spot.x, spot.y) * Math.hypot(parent.x, parent.y))
      expect(cos).toBeGreaterThan(Math.cos(Math.PI / KISSING_NUMBER))
    }
  })
})
