/**
 * Which folders the renderer may ask the engine to read. The renderer never names an arbitrary
 * path (DESIGN.md, Security): only the bundled sample corpus and folders the user chose in the
 * native dialog during this session, with everything below them, are allowed — judged on real
 * paths, so a link inside a picked folder does not lead outside it (engine/containment.ts).
 */
import { ContainedRoots, isWithin } from './engine/containment'

export class ReadAccess {
  private readonly roots = new ContainedRoots()

  constructor(roots: Iterable<string> = []) {
    for (const root of roots) this.allow(root)
  }

  allow(folder: string): void {
    this.roots.add(folder)
  }

  mayRead(folder: string): boolean {
    return this.roots.contains(folder)
  }
}

/** Lexical containment after normalisation, so `root/../elsewhere` does not pass. */
export function isInside(root: string, candidate: string): boolean {
  return isWithin(candidate, root)
}
