import { realpathSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'

/**
 * Which folders a remote UI may name for reading. A folder is allowed when its real path (symbolic
 * links resolved, so a link inside a root cannot point outside it) lies inside one of the roots.
 * A path that does not exist is judged by its resolved path; the loader then reports it as missing.
 */
export function createFolderPolicy(roots: string[]): (folder: string) => boolean {
  const realRoots = roots.map(realPathOrResolved)
  return (folder) => {
    const real = realPathOrResolved(folder)
    return realRoots.some((root) => isInside(real, root))
  }
}

/** True when `path` is `root` or lies below it. Both must be absolute. */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

function realPathOrResolved(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return resolve(path)
  }
}
