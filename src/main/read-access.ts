/**
 * Which folders the renderer may ask the engine to read. The renderer never names an arbitrary
 * path (DESIGN.md, Security): only the bundled sample corpus and folders the user chose in the
 * native dialog during this session, with everything below them, are allowed.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path'

export class ReadAccess {
  private readonly roots = new Set<string>()

  constructor(roots: Iterable<string> = []) {
    for (const root of roots) this.allow(root)
  }

  allow(folder: string): void {
    this.roots.add(resolve(folder))
  }

  mayRead(folder: string): boolean {
    const candidate = resolve(folder)
    for (const root of this.roots) if (isInside(root, candidate)) return true
    return false
  }
}

/** Lexical containment after normalisation, so `root/../elsewhere` does not pass. */
export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate)
  if (rel === '') return true
  return !isAbsolute(rel) && rel.split(sep)[0] !== '..'
}
