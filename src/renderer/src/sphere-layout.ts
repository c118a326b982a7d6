/**
 * Where to draw each sphere of the kissing-sphere arrangement: the coordinator in the middle, the
 * first twelve spheres on a ring touching it, and the twelve children of a sphere fanned out behind
 * it, inside its sector. The tree is the engine's (parent = ⌊id/12⌋ − 1, group = id mod 12, see
 * src/main/engine/spheres/topology.ts); the geometry here is the renderer's own, sized so that a
 * child stays large enough to read rather than shrinking twelvefold per ring.
 */
export const KISSING_NUMBER = 12

export interface SphereSpot {
  id: number
  group: number
  /** −1 for the first ring. */
  parent: number
  depth: number
  x: number
  y: number
  r: number
}

export interface SphereLayout {
  spots: SphereSpot[]
  coordinator: { x: number; y: number; r: number }
  /** Empty places of the first ring, drawn faintly so the arrangement of twelve reads. */
  ghosts: Array<{ x: number; y: number; r: number }>
  /** Drawing bounds: a square around every spot. */
  extent: number
}

export function sphereParent(id: number): number {
  return id < KISSING_NUMBER ? -1 : Math.floor(id / KISSING_NUMBER) - 1
}

const RING = 1
/** Twelve equal circles around a ring of radius 1 touch when r = sin(15°); a hair less keeps a gap. */
const RING_R = Math.sin(Math.PI / KISSING_NUMBER) * 0.96
/** Smaller than the ring's inner edge, so the spokes to each sphere show. */
const COORDINATOR_R = 0.5
/** Children are fanned in rows of this many columns behind their parent. */
const COLUMNS = 4

export function sphereLayout(count: number): SphereLayout {
  const spots: SphereSpot[] = []
  const angle: number[] = []
  const sector: number[] = []
  const distance: number[] = []
  for (let id = 0; id < count; id++) {
    const parent = sphereParent(id)
    if (parent < 0) {
      // The first sphere at the top, the ring clockwise from there.
      const theta = -Math.PI / 2 + (id * 2 * Math.PI) / KISSING_NUMBER
      angle.push(theta)
      sector.push((2 * Math.PI) / KISSING_NUMBER)
      distance.push(RING)
      spots.push(spot(id, parent, 0, RING, theta, RING_R))
      continue
    }
    const k = id - KISSING_NUMBER * (parent + 1)
    const column = k % COLUMNS
    const row = Math.floor(k / COLUMNS)
    const width = sector[parent] / COLUMNS
    const theta = angle[parent] + (column - (COLUMNS - 1) / 2) * width
    const parentSpot = spots[parent]
    const step = parentSpot.r * 2.1
    const base = distance[parent] + parentSpot.r + step * 0.75
    const d = base + row * step * 0.95
    const r = Math.min(parentSpot.r * 0.48, 0.46 * base * width)
    angle.push(theta)
    sector.push(width)
    distance.push(d)
    spots.push(spot(id, parent, parentSpot.depth + 1, d, theta, r))
  }
  const ghosts = []
  for (let id = count; id < KISSING_NUMBER; id++) {
    const theta = -Math.PI / 2 + (id * 2 * Math.PI) / KISSING_NUMBER
    ghosts.push({ x: RING * Math.cos(theta), y: RING * Math.sin(theta), r: RING_R })
  }
  const extent = Math.max(RING + RING_R, ...spots.map((s) => Math.hypot(s.x, s.y) + s.r))
  return { spots, coordinator: { x: 0, y: 0, r: COORDINATOR_R }, ghosts, extent }
}

function spot(
  id: number,
  parent: number,
  depth: number,
  d: number,
  theta: number,
  r: number,
): SphereSpot {
  return {
    id,
    group: id % KISSING_NUMBER,
    parent,
    depth,
    x: d * Math.cos(theta),
    y: d * Math.sin(theta),
    r,
  }
}
