import { ContainedRoots, isWithin } from '../engine/containment'

/**
 * Which folders a remote UI may name for reading: those whose real path (links resolved, so a link
 * inside a root cannot point outside it) lies inside one of the roots (see engine/containment.ts).
 */
export function createFolderPolicy(roots: string[]): (folder: string) => boolean {
  const contained = new ContainedRoots(roots)
  return (folder) => contained.contains(folder)
}

/** True when `path` is `root` or lies below it. Both must be absolute. */
export function isInside(path: string, root: string): boolean {
  return isWithin(path, root)
}
