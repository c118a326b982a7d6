/** Reads one whole file with a single open, checking its size on the open handle before reading. */
import type { CorpusFs, OpenedFile } from './corpus-fs'

export type FileRead =
  | { kind: 'read'; bytes: Buffer }
  | { kind: 'too-large'; size: number }
  | { kind: 'not-a-file' }

/**
 * open → fstat → read exactly the size fstat gave → close. A file over `maxBytes` is never read.
 * `bufferFor(size)` supplies where the bytes go (a shared chunk or a buffer of their own); the
 * returned bytes are a view of it. A file that grows meanwhile is read as it was when opened;
 * one that shrinks yields what is there.
 */
export function readWholeFile(
  fs: CorpusFs,
  path: string,
  maxBytes: number,
  bufferFor: (size: number) => Buffer = (size) => Buffer.allocUnsafeSlow(size),
): FileRead {
  const file = fs.openFile(path)
  try {
    const info = file.stat()
    if (!info.isFile()) return { kind: 'not-a-file' }
    if (info.size > maxBytes) return { kind: 'too-large', size: info.size }
    const target = bufferFor(info.size)
    return { kind: 'read', bytes: target.subarray(0, readFully(file, target, info.size)) }
  } finally {
    file.close()
  }
}

function readFully(file: OpenedFile, target: Buffer, size: number): number {
  let filled = 0
  while (filled < size) {
    const bytesRead = file.read(target, filled, size - filled, filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled
}
