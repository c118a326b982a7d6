/**
 * The file-system calls the loader makes, in one place. Production uses node:fs; tests pass a
 * wrapper around the same real calls to count reads or to make one path fail (as root, a chmod
 * cannot make a file unreadable).
 *
 * Folder listing is asynchronous. File reading is synchronous on purpose: on a busy machine an
 * async read costs four thread-pool round trips per file (open, fstat, read, close) and measured
 * 1.5–2× slower than plain reads for a tree of small files. The loader reads in short slices
 * and yields to the event loop between them (see read-files.ts).
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  type Dirent,
  type Stats,
} from 'node:fs'
import * as fsp from 'node:fs/promises'
import { UserError } from '../../../shared/errors'
import { ContainmentRefusal, type ContainedRoot, type FolderCursor } from '../containment'

/** One open file: fstat, positioned read, close. */
export interface OpenedFile {
  stat(): Stats
  read(buffer: Uint8Array, offset: number, length: number, position: number): number
  close(): void
}

/**
 * Where a path lies inside the scanned folder: the reader opens it from the folder's root part by
 * part under the containment rule (engine/containment.ts), so a folder swapped for a link during
 * the scan is never followed. `cursor` keeps the last folder open for the next file.
 */
export interface InsideRoot {
  root: ContainedRoot
  /** Relative to the root. */
  relative: string
  cursor?: FolderCursor
}

export interface CorpusFs {
  /** Opens for reading; never blocks on a FIFO. With `inside`, opens under the containment rule. */
  openFile(path: string, inside?: InsideRoot): OpenedFile
  /** With `inside`, lists the folder opened under the containment rule (its names, not a link's). */
  readdir(path: string, inside?: InsideRoot): Promise<Dirent[]>
  /** Follows symbolic links. */
  stat(path: string): Promise<Stats>
  realpath(path: string): Promise<string>
}

// O_NONBLOCK: should a path turn into a FIFO after the walk looked at it, open must not hang.
// O_NOFOLLOW: should a file turn into a link after the walk looked at it, open must not follow it
// (the walk hands over real paths for what links admitted). Windows has no such flag.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0)

export const nodeCorpusFs: CorpusFs = {
  openFile(path, inside) {
    // Under the rule, the open already fstat'ed the file: its stats are kept, not asked for again.
    const opened = inside ? (inside.cursor ?? inside.root).openFile(inside.relative) : undefined
    const fd = opened ? opened.fd : openSync(path, OPEN_FLAGS)
    return {
      stat: () => opened?.stats ?? fstatSync(fd),
      read: (buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
      close: () => closeSync(fd),
    }
  },
  readdir: async (path, inside) =>
    // A folder on another device (a bind mount, another file system) is not the folder the user chose.
    inside ? (await inside.root.list(inside.relative, { sameDevice: true })).entries : fsp.readdir(path, { withFileTypes: true }),
  stat: (path) => fsp.stat(path),
  realpath: (path) => fsp.realpath(path),
}

/** A short reason for a failed file-system call, for the user ("permission denied"). */
export function describeFsError(error: unknown): string {
  if (error instanceof ContainmentRefusal) {
    if (error.why === 'link') return 'a part of its path is a symbolic link (changed during the scan); it was not followed'
    if (error.why === 'not-regular') return 'it is not a regular file'
    if (error.why === 'other-device') return 'another file system is mounted there (a bind mount or a mount point); it is not read'
    return 'it was replaced while being read'
  }
  if (error instanceof UserError) {
    const cause = (error as { cause?: unknown }).cause
    return cause === undefined ? error.message : describeFsError(cause)
  }
  const code = errorCode(error)
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOENT':
      return 'it no longer exists'
    case 'ELOOP':
      return 'it became a symbolic link while being read'
    case 'EIO':
      return 'input/output error'
    case 'EISDIR':
      return 'it is a folder'
    case 'ENOTDIR':
      return 'a part of the path is not a folder'
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files'
    default:
      return code ?? (error instanceof Error ? error.message : String(error))
  }
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}
