/**
 * The one containment rule for every path the engine touches: a path is judged by its real path
 * (symbolic links and `..` resolved), and it is allowed only when that real path lies inside one of
 * the roots the user chose (picked folders, the sample corpus, `serve --root`, the checkpoint
 * folder), themselves taken by their real paths. A link whose target is outside is never read.
 *
 * Writes are stricter: below the root no part of the path may be a symbolic link at all, so a
 * write (or a clean-up's delete) cannot be steered anywhere else by a link planted in the folder.
 *
 * The corpus walk, the folder policies of both transports and the API handlers all ask here.
 */
import { lstatSync, realpathSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { UserError } from '../../shared/errors'

/** True when `path` is `root` or lies below it; both absolute. Purely lexical after normalising. */
export function isWithin(path: string, root: string): boolean {
  const rel = relative(resolve(root), resolve(path))
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

/**
 * The real path of `path`. A path that does not exist (yet) is its nearest existing ancestor's real
 * path with the missing rest appended, so a link higher up still counts.
 */
export function realPathOf(path: string): string {
  const absolute = resolve(path)
  const missing: string[] = []
  for (let current = absolute; ; current = dirname(current)) {
    try {
      return join(realpathSync(current), ...missing.reverse())
    } catch {
      if (dirname(current) === current) return absolute
      missing.push(current.slice(dirname(current).length).replace(/^[\\/]/, ''))
    }
  }
}

/** A set of roots, compared on real paths. */
export class ContainedRoots {
  private readonly realRoots: string[] = []

  constructor(roots: Iterable<string> = []) {
    for (const root of roots) this.add(root)
  }

  add(root: string): void {
    const real = realPathOf(root)
    if (!this.realRoots.includes(real)) this.realRoots.push(real)
  }

  /** Whether `path`, after resolving links, lies inside one of the roots. */
  contains(path: string): boolean {
    const real = realPathOf(path)
    return this.realRoots.some((root) => isWithin(real, root))
  }
}

/**
 * Resolves `requested` (relative to `root`, or absolute) and returns its absolute path when its real
 * path lies inside `root`'s real path; otherwise throws a `forbidden` UserError naming `what`.
 */
export function resolveInside(root: string, requested: string, what: string): string {
  const absolute = resolve(root, requested)
  const rootReal = realPathOf(root)
  if (!isWithin(absolute, root) || !isWithin(realPathOf(absolute), rootReal)) {
    throw new UserError('forbidden', `${absolute} is not in ${what} ${resolve(root)}.`)
  }
  return absolute
}

/**
 * Refuses a path to be written (or deleted) when any part of it below `root`, the file included,
 * is a symbolic link. Parts that do not exist yet are fine: they will be created as plain entries.
 */
export function assertNoLinksBelow(root: string, path: string): void {
  const base = resolve(root)
  const absolute = resolve(path)
  if (!isWithin(absolute, base)) {
    throw new UserError('forbidden', `${absolute} is not in ${base}; nothing is written there.`)
  }
  const parts = relative(base, absolute)
    .split(sep)
    .filter((part) => part !== '')
  let current = base
  for (const part of parts) {
    current = join(current, part)
    let isLink: boolean
    try {
      isLink = lstatSync(current).isSymbolicLink()
    } catch {
      return // does not exist: nothing below it exists either
    }
    if (isLink) {
      throw new UserError(
        'forbidden',
        `${current} is a symbolic link; CLLM does not write through links.`,
      )
    }
  }
}

/** Refuses a path whose own last part or whose folder is a symbolic link (for a path outside any root). */
export function assertNotLink(path: string): void {
  const absolute = resolve(path)
  for (const candidate of [absolute, dirname(absolute)]) {
    let isLink = false
    try {
      isLink = lstatSync(candidate).isSymbolicLink()
    } catch {
      continue
    }
    if (isLink) {
      throw new UserError(
        'forbidden',
        `${candidate} is a symbolic link; CLLM does not write through links.`,
      )
    }
  }
}
