/**
 * The kissing-sphere arrangement of the original CLLM: a coordinator in the middle, up to 12 spheres
 * touching it (the first ring, ids 0–11), and up to 12 around each of those (ids 12(p+1) … 12(p+1)+11
 * for parent p), and so on. Numbering is breadth-first, so the tree is a 12-ary heap whose root is the
 * coordinator: parent(i) = −1 for i < 12, else ⌊i/12⌋ − 1.
 *
 * Barrier arrival follows this tree (a sphere waits for its children, then signals its parent; sphere 0
 * gathers the first ring for the coordinator), see sync.ts.
 */
export const KISSING_NUMBER = 12

export interface SpherePlace {
  id: number
  /** id mod 12: the sphere's symmetry group. */
  group: number
  /** −1 for the first ring (around the coordinator). */
  parent: number
  children: number[]
  /** 0 for the first ring, 1 for the spheres around those, … */
  depth: number
  /** Position for drawing: the coordinator at (0, 0), ring d at distance d + 1. */
  x: number
  y: number
  /** A drawing radius at which neighbours on the same ring do not overlap. */
  r: number
}

export function sphereParent(id: number): number {
  return id < KISSING_NUMBER ? -1 : Math.floor(id / KISSING_NUMBER) - 1
}

export function sphereChildren(id: number, count: number): number[] {
  const children: number[] = []
  const first = KISSING_NUMBER * (id + 1)
  for (let c = first; c < first + KISSING_NUMBER && c < count; c++) children.push(c)
  return children
}

/** The spheres of the first ring that exist for `count` spheres (the coordinator's children). */
export function firstRing(count: number): number[] {
  const ring: number[] = []
  for (let i = 0; i < Math.min(count, KISSING_NUMBER); i++) ring.push(i)
  return ring
}

/**
 * Places `count` spheres for drawing. The first ring sits at angles 30°·i; each child of sphere p
 * sits one ring further out, inside p's angular sector (sector width shrinks 12× per ring), so each
 * subtree is drawn as a fan behind its parent.
 */
export function sphereTopology(count: number): SpherePlace[] {
  const places: SpherePlace[] = []
  const angle: number[] = []
  for (let id = 0; id < count; id++) {
    const parent = sphereParent(id)
    const depth = parent < 0 ? 0 : places[parent].depth + 1
    const sector = (2 * Math.PI) / KISSING_NUMBER ** (depth + 1)
    const theta =
      parent < 0
        ? id * sector
        : angle[parent] + ((id % KISSING_NUMBER) - (KISSING_NUMBER - 1) / 2) * sector
    angle.push(theta)
    const distance = depth + 1
    places.push({
      id,
      group: id % KISSING_NUMBER,
      parent,
      children: sphereChildren(id, count),
      depth,
      x: distance * Math.cos(theta),
      y: distance * Math.sin(theta),
      r: Math.min(0.4, 0.45 * distance * sector),
    })
  }
  return places
}
