/**
 * Walks the folder tree and decides, from names and types alone, which files the loader will read
 * and which paths it leaves out (with a reason). It opens no file except .gitignore files.
 *
 * Symbolic links are followed after the plain tree is walked, so a file or folder reached both
 * directly and through a link is loaded once, under its own path; a link to a folder that
 * contains the link is a loop (decided on real paths). A link whose real target lies outside the
 * scanned folder is skipped ("link leads outside the folder") unless `followLinks` is set
 * (engine/containment.ts). What a link admits is read through its real path. Folders inside the
 * root are listed, and files read, through `ContainedRoot` (engine/containment.ts): part by part
 * from the root, never through a link, so a folder swapped for a link during the scan is not
 * followed. A folder where something is mounted is not entered; hard links are read once (the
 * reader compares device and inode).
 */
import { join, sep } from 'node:path'
import type { Dirent } from 'node:fs'
import { lstat } from 'node:fs/promises'
import type { SkippedPath, SkipReason } from '../../../shared/corpus'
import { describeFsError, errorCode, type CorpusFs } from './corpus-fs'
import { GitignoreRules } from './gitignore'
import { ContainmentRefusal, isWithin, mountPointsBelow, type ContainedRoot } from '../containment'
import { compareCodePoints, folderLabel, isSameOrInside, joinRelative } from './paths'
import type { ProgressReporter } from './progress'
import { readWholeFile } from './read-file'
import { decodeUtf8, looksBinary } from './text'

export interface Candidate {
  /** Relative to the root, forward slashes. */
  path: string
  absolute: string
  /** Where it really lies relative to the root's real path, when inside: read from there under the containment rule. */
  inside?: string
}

export interface WalkResult {
  /** Sorted by path (code point order). */
  candidates: Candidate[]
  /** In the order met; the loader sorts the final list. */
  skipped: SkippedPath[]
}

export interface WalkOptions {
  fs: CorpusFs
  /** Absolute path of the folder being scanned. */
  root: string
  rootReal: string
  /** Real path of the checkpoint folder, never read as data. */
  excludeReal?: string
  progress: ProgressReporter
  /** Throws when the scan is cancelled. */
  checkCancelled: () => void
  /** Follow links whose target is outside the root (the CLI's --follow-links). */
  followLinks?: boolean
  /** Called when the root itself cannot be listed. */
  rootUnreadable: (error: unknown) => Error
  /** The root under the containment rule: folders inside are listed through it, never through a link. */
  tree?: ContainedRoot
}

/** .gitignore files larger than this are not patterns anyone wrote by hand; they are ignored. */
const MAX_GITIGNORE_BYTES = 1024 * 1024

interface Folder {
  absolute: string
  relative: string
  real: string
  rules: GitignoreRules
  /** Relative to the root's real path when it lies inside (every folder but one a --follow-links link leads to). */
  inside?: string
}

interface PendingLink {
  absolute: string
  relative: string
  /** Real path of the folder holding the link. */
  parentReal: string
  rules: GitignoreRules
}

export async function walkTree(options: WalkOptions): Promise<WalkResult> {
  const { fs, progress, checkCancelled } = options
  const candidates: Candidate[] = []
  const skipped: SkippedPath[] = []
  const folderSeenAs = new Map<string, string>([[options.rootReal, '.']])
  const fileSeenAs = new Map<string, string>()
  const links: PendingLink[] = []
  // Mounts inside the folder (a bind mount keeps the device number, so the mount table tells).
  const mountPoints = options.tree ? mountPointsBelow(options.rootReal) : new Set<string>()

  const skip = (path: string, reason: SkipReason, detail?: string): void => {
    skipped.push(detail === undefined ? { path, reason } : { path, reason, detail })
  }

  /** Returns the folder to descend into, or records why not. */
  const admitFolder = (
    name: string,
    relative: string,
    absolute: string,
    real: string,
    rules: GitignoreRules,
    linkParentReal?: string,
  ): Folder | undefined => {
    const label = folderLabel(relative)
    if (name === 'node_modules') return void skip(label, 'node_modules')
    if (real === options.excludeReal) return void skip(label, 'checkpoint-dir')
    if (mountPoints.has(real)) return void skip(label, 'other-device', 'a file system or bind mount is mounted there; it is not read')
    if (rules.ignores(relative, true)) return void skip(label, 'gitignored')
    if (linkParentReal !== undefined && isSameOrInside(linkParentReal, real, sep)) {
      return void skip(label, 'symlink-loop', 'links to a folder that contains it')
    }
    const seenAs = folderSeenAs.get(real)
    if (seenAs !== undefined) return void skip(label, 'duplicate', `same folder as ${seenAs}`)
    folderSeenAs.set(real, label)
    return { absolute, relative, real, rules, inside: insideOf(real) }
  }

  /**
   * The path below the root's real path, or undefined for a place outside it (--follow-links).
   * Real paths are normalised, so a prefix decides (path.relative per file costs a scan of 50,000
   * files about a tenth of its time).
   */
  const rootPrefix = options.rootReal.endsWith(sep) ? options.rootReal : options.rootReal + sep
  const insideOf = (real: string): string | undefined =>
    real === options.rootReal ? '' : real.startsWith(rootPrefix) ? real.slice(rootPrefix.length) : undefined

  const within = (inside: string | undefined) =>
    options.tree && inside !== undefined ? { root: options.tree, relative: inside } : undefined

  const admitFile = (
    relative: string,
    absolute: string,
    real: string,
    rules: GitignoreRules,
  ): void => {
    if (rules.ignores(relative, false)) return skip(relative, 'gitignored')
    const seenAs = fileSeenAs.get(real)
    if (seenAs !== undefined) return skip(relative, 'duplicate', `same file as ${seenAs}`)
    fileSeenAs.set(real, relative)
    candidates.push({ path: relative, absolute, inside: insideOf(real) })
  }

  const readGitignore = (absolute: string, inside: string | undefined): string | undefined => {
    try {
      const read = readWholeFile(fs, absolute, MAX_GITIGNORE_BYTES, undefined, within(inside))
      return read.kind === 'read' && !looksBinary(read.bytes) ? decodeUtf8(read.bytes) : undefined
    } catch {
      return undefined // an unreadable .gitignore ignores nothing; it is listed as hidden anyway
    }
  }

  const listFolder = async (folder: Folder): Promise<Folder[]> => {
    let entries: Dirent[]
    try {
      entries = await fs.readdir(folder.absolute, within(folder.inside))
    } catch (error) {
      if (folder.relative === '') throw options.rootUnreadable(error)
      if (error instanceof ContainmentRefusal && error.why === 'other-device') {
        skip(folderLabel(folder.relative), 'other-device', describeFsError(error))
        return []
      }
      skip(folderLabel(folder.relative), 'unreadable', describeFsError(error))
      return []
    }
    entries.sort((a, b) => compareCodePoints(a.name, b.name))

    let rules = folder.rules
    if (entries.some((entry) => entry.name === '.gitignore' && !entry.isDirectory())) {
      const text = readGitignore(join(folder.absolute, '.gitignore'), folder.inside === undefined ? undefined : join(folder.inside, '.gitignore'))
      if (text !== undefined) rules = rules.with(folder.relative, text)
    }

    const subfolders: Folder[] = []
    for (const entry of entries) {
      checkCancelled()
      const relative = joinRelative(folder.relative, entry.name)
      const absolute = join(folder.absolute, entry.name)
      if (!entry.isDirectory()) {
        progress.filesSeen++
        progress.currentPath = relative
        progress.tick()
      }
      if (entry.name.includes('\uFFFD') && (await nameIsUndecodable(absolute))) {
        skip(relative, 'bad-name', 'the name has bytes that are not UTF-8, so it cannot be opened')
      } else if (entry.name.startsWith('.')) {
        skip(entry.isDirectory() ? folderLabel(relative) : relative, 'hidden')
      } else if (entry.isDirectory()) {
        const real = folder.real + sep + entry.name
        const child = admitFolder(entry.name, relative, absolute, real, rules)
        if (child) subfolders.push(child)
      } else if (entry.isSymbolicLink()) {
        links.push({ absolute, relative, parentReal: folder.real, rules })
      } else if (entry.isFile()) {
        admitFile(relative, absolute, folder.real + sep + entry.name, rules)
      } else {
        skip(relative, 'not-a-file', describeKind(entry))
      }
    }
    return subfolders
  }

  const walkFrom = async (start: Folder): Promise<void> => {
    const stack = [start]
    for (let folder = stack.pop(); folder; folder = stack.pop()) {
      const subfolders = await listFolder(folder)
      for (let i = subfolders.length - 1; i >= 0; i--) stack.push(subfolders[i])
    }
  }

  const followLink = async (link: PendingLink): Promise<void> => {
    checkCancelled()
    const name = link.relative.slice(link.relative.lastIndexOf('/') + 1)
    let real: string
    let isFolder: boolean
    let isFile: boolean
    try {
      const info = await fs.stat(link.absolute)
      real = await fs.realpath(link.absolute)
      isFolder = info.isDirectory()
      isFile = info.isFile()
    } catch (error) {
      const code = errorCode(error)
      if (code === 'ELOOP')
        return skip(link.relative, 'symlink-loop', 'the link leads back to itself')
      if (code === 'ENOENT') return skip(link.relative, 'unreadable', 'broken symbolic link')
      return skip(link.relative, 'unreadable', describeFsError(error))
    }
    if (!options.followLinks && !isWithin(real, options.rootReal)) {
      return skip(link.relative, 'link-outside', 'add --follow-links to the command to read it')
    }
    if (isFolder) {
      const folder = admitFolder(name, link.relative, real, real, link.rules, link.parentReal)
      if (folder) await walkFrom(folder)
    } else if (isFile) {
      admitFile(link.relative, real, real, link.rules)
    } else {
      skip(link.relative, 'not-a-file', 'links to a device, pipe or socket')
    }
  }

  await walkFrom({
    absolute: options.root,
    relative: '',
    real: options.rootReal,
    rules: GitignoreRules.none,
    inside: '',
  })
  // Links found while following links are appended, so this loop also walks them.
  for (let i = 0; i < links.length; i++) await followLink(links[i])

  candidates.sort((a, b) => compareCodePoints(a.path, b.path))
  return { candidates, skipped }
}

/** A listed name with U+FFFD that does not exist under that name: its bytes were not UTF-8. */
async function nameIsUndecodable(absolute: string): Promise<boolean> {
  try {
    await lstat(absolute)
    return false
  } catch (error) {
    return errorCode(error) === 'ENOENT'
  }
}

function describeKind(entry: Dirent): string {
  if (entry.isFIFO()) return 'a named pipe'
  if (entry.isSocket()) return 'a socket'
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'a device'
  return 'unknown file type'
}
