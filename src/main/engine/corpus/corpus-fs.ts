/**
 * The file-system calls the loader makes, in one place. Production uses node:fs/promises; tests
 * pass a wrapper around the same real calls to count reads or to make one path fail (as root, a
 * chmod cannot make a file unreadable).
 */
import * as fsp from 'node:fs/promises'
import type { Dirent, Stats } from 'node:fs'

/** The part of a FileHandle the loader uses (a real FileHandle satisfies it). */
export interface OpenedFile {
  stat(): Promise<Stats>
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>
  close(): Promise<void>
}

export interface CorpusFs {
  open(path: string, flags: number): Promise<OpenedFile>
  readdir(path: string): Promise<Dirent[]>
  /** Follows symbolic links. */
  stat(path: string): Promise<Stats>
  realpath(path: string): Promise<string>
}

export const nodeCorpusFs: CorpusFs = {
  open: (path, flags) => fsp.open(path, flags),
  readdir: (path) => fsp.readdir(path, { withFileTypes: true }),
  stat: (path) => fsp.stat(path),
  realpath: (path) => fsp.realpath(path),
}

/** A short reason for a failed file-system call, for the user ("permission denied"). */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOENT':
      return 'it no longer exists'
    case 'ELOOP':
      return 'too many levels of symbolic links'
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
