/** Reads one whole file with a single open, checking its size on the open handle before reading. */
import type { Stats } from 'node:fs'
import type { CorpusFs, InsideRoot, OpenedFile } from './corpus-fs'
import { SNIFF_BYTES, startLooksBinary } from './text'

export type FileRead =
  | { kind: 'read'; bytes: Buffer }
  | { kind: 'too-large'; size: number }
  | { kind: 'binary'; size: number }
  | { kind: 'not-a-file' }
  /** The same file (device, inode) as one read before: a hard link. */
  | { kind: 'duplicate'; of: string }

/** One positioned read may ask for at most this much (Node refuses lengths of 2 GiB and more). */
const MAX_READ_BYTES = 1 << 30

/**
 * open → fstat → read exactly the size fstat gave → close. A file over `maxBytes` is never read,
 * and a file larger than the sniffed start whose start looks binary is not read further.
 * `bufferFor(size)` supplies where the bytes go (a shared chunk or a buffer of their own); the
 * returned bytes are a view of it. A file that grows meanwhile is read as it was when opened;
 * one that shrinks yields what is there.
 */
export function readWholeFile(
  fs: CorpusFs,
  path: string,
  maxBytes: number,
  bufferFor: (size: number) => Buffer = (size) => Buffer.allocUnsafeSlow(size),
  inside?: InsideRoot,
  readBefore?: (info: Stats) => string | undefined,
): FileRead {
  const file = fs.openFile(path, inside)
  try {
    const info = file.stat()
    if (!info.isFile()) return { kind: 'not-a-file' }
    const of = readBefore?.(info)
    if (of !== undefined) return { kind: 'duplicate', of }
    if (info.size > maxBytes) return { kind: 'too-large', size: info.size }
    // The start is read first; a binary start ends the read (untouched pages of a large buffer
    // cost no memory), a text start is continued from where it stopped, so no byte is read twice.
    const target = bufferFor(info.size)
    const sniffed = readFully(file, target, Math.min(info.size, SNIFF_BYTES))
    if (info.size > SNIFF_BYTES && startLooksBinary(target.subarray(0, sniffed), info.size))
      return { kind: 'binary', size: info.size }
    const filled = sniffed < SNIFF_BYTES ? sniffed : readFully(file, target, info.size, sniffed)
    return { kind: 'read', bytes: target.subarray(0, filled) }
  } finally {
    file.close()
  }
}

function readFully(file: OpenedFile, target: Buffer, size: number, from = 0): number {
  let filled = from
  while (filled < size) {
    const length = Math.min(size - filled, MAX_READ_BYTES)
    const bytesRead = file.read(target, filled, length, filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled
}
