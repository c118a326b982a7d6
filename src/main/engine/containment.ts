/**
 * The one containment rule for every path the engine touches.
 *
 * Names: a path the UI or a transport names is judged by its real path (links and `..` resolved)
 * and allowed only inside a root the user chose (picked folders, the sample corpus, `serve --root`,
 * the checkpoint folder): `ContainedRoots`, `resolveInside`.
 *
 * Opens: what is read or written below a root is reached by `ContainedRoot`, part by part, never
 * through a link, and counts by the identity (device, inode) of what was opened, so a folder
 * swapped for a link between a check and an open cannot steer it (see "Identity" below). Files
 * that are not regular (FIFO, device, socket) are refused before any open that could block. A
 * write goes only into a folder opened this way, and a link at its destination is refused, never
 * followed or replaced (`writeTarget`, `assertWritableFile`, which atomic writes call).
 *
 * Users: the corpus walk and reader (`corpus/`), the checkpoint folder and everything in it (run
 * folders, `.trash`, `.prepare`, `exports`, `notes.json`: `runs/`, `api/handlers/`), export
 * targets, `--checkpoint-dir`, `--resume` parents and `--init-from` folders, both folder policies.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  read as readCallback,
  readFileSync,
  realpathSync,
  type Dirent,
  type Stats,
} from 'node:fs'
import { open, readdir, type FileHandle } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { promisify } from 'node:util'
import { UserError, type ErrorCode } from '../../shared/errors'

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

// ── Identity: what was really opened ─────────────────────────────────────────────────────────────
//
// A name is checked at one moment and opened at another; a folder swapped for a link in between
// steers the open elsewhere. So a file or folder counts only by what was opened: every part below
// a root is opened on its own, relative to the part above it already open, without following a
// link (on Linux through /proc/self/fd/<fd>/<name>, which is openat(2) for Node), and the opened
// thing's identity (device, inode) is what the caller keeps and compares. Where /proc is missing
// (macOS, Windows), each part is lstat'ed, opened, and its identity compared with the lstat's.

/** The identity of a file or folder: its device and inode. Equal identities are the same file. */
export interface FileIdentity {
  dev: number
  ino: number
}

export function identityOf(stats: { dev: number; ino: number }): FileIdentity {
  return { dev: stats.dev, ino: stats.ino }
}

export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino
}

const RELATIVE_TO_FD = process.platform === 'linux' && existsSync('/proc/self/fd')
const O_DIRECTORY = constants.O_DIRECTORY ?? 0
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0
const O_NONBLOCK = constants.O_NONBLOCK ?? 0
const FOLDER_FLAGS = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW
/** Never follows a final link; never blocks on a FIFO that appeared after the lstat. */
const FILE_FLAGS = constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK

/**
 * Windows cannot open a folder: there a folder's "descriptor" is NO_FD, each part is checked by
 * lstat, and paths are used. Everywhere else a folder is held open while its parts are reached.
 */
const FOLDERS_OPEN = process.platform !== 'win32'
const NO_FD = -1

function openFolder(path: string): number {
  if (FOLDERS_OPEN) return openSync(path, FOLDER_FLAGS)
  const stats = lstatSync(path)
  if (stats.isSymbolicLink()) throw Object.assign(new Error(`ELOOP: ${path}`), { code: 'ELOOP' })
  if (!stats.isDirectory()) throw Object.assign(new Error(`ENOTDIR: ${path}`), { code: 'ENOTDIR' })
  return NO_FD
}

function closeFolder(fd: number): void {
  if (fd !== NO_FD) closeSync(fd)
}

function folderStats(fd: number, path: string): Stats {
  return fd === NO_FD ? lstatSync(path) : fstatSync(fd)
}

/** A path naming `name` inside the open folder `fd` (Linux), or inside `folderPath` elsewhere. */
function childPath(fd: number, folderPath: string, name: string): string {
  return RELATIVE_TO_FD && fd !== NO_FD ? `/proc/self/fd/${fd}/${name}` : join(folderPath, name)
}

/** The parts of `relative` below a root; `..` and absolute paths are refused. */
function partsOf(relative: string, root: string): string[] {
  const parts = relative.split(/[\\/]+/).filter((part) => part !== '' && part !== '.')
  if (isAbsolute(relative) || parts.includes('..')) {
    throw new UserError('forbidden', `${resolve(root, relative)} is not in ${root}.`)
  }
  return parts
}

/** A refusal by the rule itself (not a failed system call): what was found, for callers that sort skips. */
export class ContainmentRefusal extends UserError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly why: 'link' | 'not-regular' | 'replaced' | 'other-device',
  ) {
    super(code, message)
  }
}

function linkRefusal(path: string): UserError {
  return new ContainmentRefusal('forbidden', `${path} is a symbolic link; CLLM does not read or write through links.`, 'link')
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

/** What a file that is not a regular file is, for messages. */
export function describeKind(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link'
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a named pipe'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

/** A file opened inside a root: its descriptor and the fstat of what was opened. Close it. */
export interface OpenedInside {
  fd: number
  stats: Stats
  /** The path shown to the user (root joined with the relative path). */
  path: string
}

/**
 * One folder the user chose (a corpus, the checkpoint folder, an export's destination), taken at
 * its identity when opened. Everything below it is reached part by part under the rule above;
 * the root itself must be a folder and, as the last part of its own path, not a link.
 */
export class ContainedRoot {
  readonly path: string
  readonly identity: FileIdentity

  private constructor(path: string, identity: FileIdentity) {
    this.path = path
    this.identity = identity
  }

  /**
   * Opens `path` as a root. `create` makes it (and missing parents) first. Refused: a link as the
   * last part of the path, something that is not a folder, a folder that cannot be opened.
   */
  static open(path: string, what: string, options: { create?: boolean } = {}): ContainedRoot {
    const absolute = resolve(path)
    if (options.create) makeFolders(absolute, what)
    let stats: Stats
    try {
      stats = lstatSync(absolute)
    } catch (error) {
      throw fsFailure(error, absolute, what)
    }
    if (stats.isSymbolicLink()) throw linkRefusal(absolute)
    if (!stats.isDirectory()) throw new UserError('not-a-folder', `${what} ${absolute} is not a folder.`)
    const root = new ContainedRoot(absolute, identityOf(stats))
    closeFolder(root.openFolderFd('')) // proves it opens as that same folder
    return root
  }

  /** The absolute path of `relative` below the root, for messages and for path-based calls. */
  pathOf(relative: string): string {
    return join(this.path, ...partsOf(relative, this.path))
  }

  /** The relative path of `absolute` below the root (lexical), or null when it is not below it. */
  relativeOf(absolute: string): string | null {
    const resolved = resolve(this.path, absolute)
    return isWithin(resolved, this.path) ? relative(this.path, resolved) : null
  }

  /**
   * Opens the folder `relative` (every part a real folder, none a link) and returns its descriptor;
   * with `create`, missing parts are made (mkdir never follows a link: an existing one is refused).
   */
  openFolderFd(relativePath: string, options: { create?: boolean } = {}): number {
    const parts = partsOf(relativePath, this.path)
    let fd: number
    try {
      fd = openFolder(this.path)
    } catch (error) {
      throw fsFailure(error, this.path, 'The folder')
    }
    let shown = this.path
    try {
      if (!sameIdentity(identityOf(folderStats(fd, this.path)), this.identity)) {
        throw new ContainmentRefusal('forbidden', `${this.path} was replaced by another folder while in use; nothing was read or written.`, 'replaced')
      }
      for (const part of parts) {
        const next = childPath(fd, shown, part)
        shown = join(shown, part)
        if (options.create) {
          try {
            mkdirSync(next)
          } catch (error) {
            if (errnoOf(error) !== 'EEXIST') throw fsFailure(error, shown, 'The folder')
          }
        }
        const child = openFolderChild(next, shown)
        closeFolder(fd)
        fd = child
      }
      return fd
    } catch (error) {
      closeFolder(fd)
      throw error
    }
  }

  /** Checks that the folder `relative` exists inside under the rule; returns its absolute path. */
  folder(relativePath: string, options: { create?: boolean } = {}): string {
    closeFolder(this.openFolderFd(relativePath, options))
    return this.pathOf(relativePath)
  }

  /** The identity of the folder `relative`, opened under the rule. */
  folderIdentity(relativePath: string): FileIdentity {
    const fd = this.openFolderFd(relativePath)
    try {
      return identityOf(folderStats(fd, this.pathOf(relativePath)))
    } finally {
      closeFolder(fd)
    }
  }

  /** Lists the folder `relative` by its descriptor: the names are those of the folder opened. */
  async list(relativePath: string, options: { sameDevice?: boolean } = {}): Promise<{ entries: Dirent[]; identity: FileIdentity }> {
    const fd = this.openFolderFd(relativePath)
    try {
      const identity = identityOf(folderStats(fd, this.pathOf(relativePath)))
      if (options.sameDevice && identity.dev !== this.identity.dev) {
        throw new ContainmentRefusal('forbidden', `${this.pathOf(relativePath)} is another file system mounted inside ${this.path}.`, 'other-device')
      }
      const entries = await readdir(RELATIVE_TO_FD ? `/proc/self/fd/${fd}` : this.pathOf(relativePath), { withFileTypes: true })
      // Without /proc the listing went by name: it counts only if that name is still this folder.
      if (!RELATIVE_TO_FD && !sameIdentity(this.folderIdentity(relativePath), identity)) {
        throw new ContainmentRefusal('forbidden', `${this.pathOf(relativePath)} was replaced while being listed.`, 'replaced')
      }
      return { entries, identity }
    } finally {
      closeFolder(fd)
    }
  }

  /**
   * Opens the regular file `relative` for reading. Refused before any open that could block: a
   * link, a FIFO, a device, a socket, a folder (by lstat, then the opened file's fstat must be
   * that same file). `inFolder` reuses an open folder descriptor of its parent (see FolderCursor).
   */
  openFile(relativePath: string, inFolder?: { fd: number; path: string; listed?: boolean }, what = 'The file'): OpenedInside {
    // In a folder already open (a cursor), only the last part is named; it must be a plain name.
    const lastPart = inFolder ? relativePath.slice(Math.max(relativePath.lastIndexOf('/'), relativePath.lastIndexOf('\\')) + 1) : undefined
    const parts = lastPart !== undefined && lastPart !== '' && lastPart !== '.' && lastPart !== '..' ? [lastPart] : partsOf(relativePath, this.path)
    const name = parts.pop()
    if (name === undefined) throw new UserError('not-a-folder', `${this.path} is a folder, not a file.`)
    const folderFd = inFolder?.fd ?? this.openFolderFd(parts.join('/'))
    const folderPath = inFolder?.path ?? join(this.path, ...parts)
    try {
      return openFileIn(folderFd, folderPath, name, what, inFolder?.listed !== true)
    } finally {
      if (inFolder === undefined) closeFolder(folderFd)
    }
  }

  /**
   * Where a file named `name` may be written in the folder `relative` (made when missing): its
   * absolute path. Refused when the folder breaks the rule or `name` exists as a link or as
   * anything but a regular file: a destination link is never followed or replaced.
   */
  writeTarget(folderRelative: string, name: string, options: { create?: boolean } = { create: true }): string {
    const fd = this.openFolderFd(folderRelative, options)
    const folderPath = this.pathOf(folderRelative)
    try {
      assertWritableIn(childPath(fd, folderPath, name), join(folderPath, name))
    } finally {
      closeFolder(fd)
    }
    return join(folderPath, name)
  }
}

/**
 * `mkdir -p` one part at a time from the nearest existing ancestor (Node's recursive mkdir spins
 * on some paths, such as a missing folder under /proc). A part that exists is left to the caller's
 * checks; a part that cannot be made ends it with one sentence.
 */
function makeFolders(absolute: string, what: string): void {
  const missing: string[] = []
  for (let current = absolute; ; current = dirname(current)) {
    try {
      lstatSync(current)
      break
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT' || dirname(current) === current) break
      missing.push(current)
    }
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder)
    } catch (error) {
      const code = errnoOf(error)
      if (code === 'EEXIST') continue
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC') throw fsFailure(error, folder, what)
      throw new UserError('unreadable', `${what} ${absolute} cannot be created: ${folder} cannot be made here (${code ?? String(error)}).`)
    }
  }
}

function openFolderChild(next: string, shown: string): number {
  try {
    return openFolder(next)
  } catch (error) {
    const code = errnoOf(error)
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      let stats: Stats | undefined
      try {
        stats = lstatSync(next)
      } catch {
        // gone meanwhile: the open's error stands
      }
      if (stats?.isSymbolicLink() || code === 'ELOOP') throw linkRefusal(shown)
      throw new UserError('not-a-folder', `${shown} is not a folder.`)
    }
    throw fsFailure(error, shown, 'The folder')
  }
}

/** lstat, refuse what is not a regular file, open without following or blocking, compare. */
function openFileIn(folderFd: number, folderPath: string, name: string, what = 'The file', lstatFirst = true): OpenedInside {
  const target = childPath(folderFd, folderPath, name)
  const shown = join(folderPath, name)
  let before: Stats | undefined
  if (lstatFirst) {
    try {
      before = lstatSync(target)
    } catch (error) {
      throw fsFailure(error, shown, what)
    }
    if (before.isSymbolicLink()) throw linkRefusal(shown)
    if (!before.isFile()) throw new ContainmentRefusal('unreadable', `${what} ${shown} is ${describeKind(before)}, not a regular file.`, 'not-regular')
  }
  let fd: number
  try {
    fd = openSync(target, FILE_FLAGS)
  } catch (error) {
    if (errnoOf(error) === 'ELOOP') throw linkRefusal(shown)
    throw fsFailure(error, shown, what)
  }
  const stats = fstatSync(fd)
  if (!stats.isFile()) {
    closeSync(fd)
    throw new ContainmentRefusal('unreadable', `${what} ${shown} is ${describeKind(stats)}, not a regular file.`, 'not-regular')
  }
  if (before && !sameIdentity(identityOf(stats), identityOf(before))) {
    closeSync(fd)
    throw new ContainmentRefusal('unreadable', `${what} ${shown} was replaced while being opened; it was not read.`, 'replaced')
  }
  return { fd, stats, path: shown }
}

/** A destination must be absent or a regular file; a link there is refused, never replaced. */
function assertWritableIn(target: string, shown: string): void {
  let stats: Stats
  try {
    stats = lstatSync(target)
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return
    throw fsFailure(error, shown, 'The file')
  }
  if (stats.isSymbolicLink()) throw linkRefusal(shown)
  if (!stats.isFile()) throw new UserError('forbidden', `${shown} is ${describeKind(stats)}; CLLM writes only regular files.`)
}

/**
 * Refuses to write `path` when it exists as a link or as anything but a regular file. Used by
 * atomic writes, so no write anywhere replaces or follows a link at its destination.
 */
export function assertWritableFile(path: string): void {
  assertWritableIn(resolve(path), resolve(path))
}

/**
 * Reads a regular file named by a path outside any root (a `--checkpoint` the user typed): its
 * last part must not be a link and it must be a regular file (so a FIFO never blocks a read), and
 * the opened file must be the one the lstat saw. Returns the open file; close it.
 */
export function openRegularFile(path: string, what = 'The file'): OpenedInside {
  const absolute = resolve(path)
  const folder = dirname(absolute)
  let fd: number
  try {
    fd = FOLDERS_OPEN ? openSync(folder, constants.O_RDONLY | O_DIRECTORY) : NO_FD
  } catch (error) {
    throw fsFailure(error, absolute, what)
  }
  try {
    return openFileIn(fd, folder, basename(absolute), what)
  } finally {
    closeFolder(fd)
  }
}

/**
 * Reading many files of one root in order: the open folder of the last file is kept, so files of
 * one folder cost one open each. That folder was opened under the rule; a file opened relative to
 * it is in it, whatever happens to its name meanwhile. Call `close` when done.
 */
export class FolderCursor {
  private current: { relative: string; fd: number; path: string } | null = null

  constructor(readonly root: ContainedRoot) {}

  openFile(relativePath: string): OpenedInside {
    // The folder part as given: files of one folder come one after another, so a plain compare
    // finds the folder already open; only a new folder is split and checked part by part.
    const cut = Math.max(relativePath.lastIndexOf('/'), relativePath.lastIndexOf('\\'))
    const folder = cut === -1 ? '' : relativePath.slice(0, cut)
    let current = this.current
    if (current?.relative !== folder) {
      this.close()
      const fd = this.root.openFolderFd(folder)
      current = { relative: folder, fd, path: this.root.pathOf(folder) }
      this.current = current
    }
    // The files a cursor reads were listed as regular files by a walk: the lstat before the open is
    // left out (O_NONBLOCK keeps a FIFO swapped in meanwhile from blocking, fstat refuses it).
    return this.root.openFile(relativePath, { ...current, listed: true })
  }

  close(): void {
    if (this.current) closeFolder(this.current.fd)
    this.current = null
  }
}

/** A file-system error as one sentence naming the path (never a stack, never a temp name). */
export function fsFailure(error: unknown, path: string, what: string): Error {
  if (error instanceof UserError) return error
  const made = sentenceFor(error, path, what)
  ;(made as { cause?: unknown }).cause = error // the system call's error, for callers that sort by errno
  return made
}

function sentenceFor(error: unknown, path: string, what: string): UserError {
  switch (errnoOf(error)) {
    case 'ENOENT':
      return new UserError('not-found', `${what} ${path} does not exist.`)
    case 'ENOTDIR':
      return new UserError('not-a-folder', `A part of ${path} is not a folder.`)
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new UserError('forbidden', `${what} ${path} may not be opened or written here (permission denied).`)
    case 'ELOOP':
      return linkRefusal(path)
    case 'ENOSPC':
      return new UserError('unreadable', `No space left on the disk holding ${path}.`)
    case 'EIO':
      return new UserError('unreadable', `Input/output error at ${path}.`)
    default:
      return new UserError('unreadable', `${what} ${path} cannot be used: ${errnoOf(error) ?? String(error)}.`)
  }
}

const readAt = promisify(readCallback)

/** The largest file read whole into memory: Node's buffers and readFile stop at 2 GiB. */
export const MAX_WHOLE_READ_BYTES = 2 ** 31 - 1

/**
 * Reads a whole regular file opened under the rule: by `openRegularFile` (a path the user typed)
 * or `root.openFile`. A file over `maxBytes` is refused by its size before anything is read.
 */
export async function readOpenedFile(
  opened: OpenedInside,
  options: { maxBytes?: number; what?: string } = {},
): Promise<Buffer> {
  const maxBytes = Math.min(options.maxBytes ?? MAX_WHOLE_READ_BYTES, MAX_WHOLE_READ_BYTES)
  try {
    const size = opened.stats.size
    if (size > maxBytes) {
      throw new UserError(
        'invalid-input',
        `${options.what ?? 'The file'} ${opened.path} is ${formatGiB(size)}; CLLM reads such files up to ${formatGiB(maxBytes)}.`,
      )
    }
    const buffer = Buffer.allocUnsafe(size)
    let filled = 0
    while (filled < size) {
      const { bytesRead } = await readAt(opened.fd, buffer, filled, Math.min(size - filled, 1 << 30), filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return filled === size ? buffer : buffer.subarray(0, filled)
  } catch (error) {
    throw fsFailure(error, opened.path, options.what ?? 'The file')
  } finally {
    closeSync(opened.fd)
  }
}

/** `readOpenedFile(openRegularFile(path))`: a path the user typed, read whole under the rule. */
export async function readRegularFile(path: string, options: { maxBytes?: number; what?: string } = {}): Promise<Buffer> {
  return readOpenedFile(openRegularFile(path, options.what), options)
}

function formatGiB(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`
}

/**
 * `openRegularFile` as a promise-API FileHandle, for readers that read a file in parts (a header
 * first). The handle is the very file the rule opened (reopened through its descriptor on Linux,
 * elsewhere by name with its identity compared).
 */
export async function openRegularFileHandle(path: string, what = 'The file'): Promise<{ handle: FileHandle; stats: Stats; path: string }> {
  const opened = openRegularFile(path, what)
  try {
    const handle = await open(RELATIVE_TO_FD ? `/proc/self/fd/${opened.fd}` : opened.path, RELATIVE_TO_FD ? constants.O_RDONLY | O_NONBLOCK : FILE_FLAGS)
    const stats = await handle.stat()
    if (!sameIdentity(identityOf(stats), identityOf(opened.stats))) {
      await handle.close()
      throw new UserError('unreadable', `${what} ${opened.path} was replaced while being opened; it was not read.`)
    }
    return { handle, stats, path: opened.path }
  } catch (error) {
    throw fsFailure(error, opened.path, what)
  } finally {
    closeSync(opened.fd)
  }
}

/**
 * The mount points strictly below `rootReal` (Linux: /proc/self/mountinfo; elsewhere none known).
 * A bind mount of a folder from the same file system has the same device number as its root, so
 * only the mount table tells it apart; the corpus walk does not enter a mount point.
 */
export function mountPointsBelow(rootReal: string): Set<string> {
  const points = new Set<string>()
  let table: string
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8')
  } catch {
    return points
  }
  for (const line of table.split('\n')) {
    const field = line.split(' ')[4]
    if (field === undefined) continue
    // mountinfo escapes space, tab, newline and backslash as octal.
    const point = field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
    if (point !== rootReal && isWithin(point, rootReal)) points.add(point)
  }
  return points
}
