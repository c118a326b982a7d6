/** Reads one whole file into one buffer, with a single open and without reading past the cap. */
import { constants } from 'node:fs'
import type { CorpusFs } from './corpus-fs'

export type FileRead =
  | { kind: 'read'; bytes: Buffer }
  | { kind: 'too-large'; size: number }
  | { kind: 'not-a-file' }

// O_NONBLOCK: should a path turn into a FIFO after the walk looked at it, open must not hang.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK

/**
 * open → fstat → read exactly the size fstat gave → close. The size check happens on the open
 * handle, so a file that is too large is never read. A file that grows meanwhile is read as it
 * was when opened; one that shrinks yields what is there.
 */
export async function readWholeFile(
  fs: CorpusFs,
  path: string,
  maxBytes: number,
): Promise<FileRead> {
  const handle = await fs.open(path, OPEN_FLAGS)
  try {
    const info = await handle.stat()
    if (!info.isFile()) return { kind: 'not-a-file' }
    if (info.size > maxBytes) return { kind: 'too-large', size: info.size }
    const bytes = Buffer.allocUnsafeSlow(info.size)
    let filled = 0
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return { kind: 'read', bytes: filled === bytes.length ? bytes : bytes.subarray(0, filled) }
  } finally {
    await handle.close()
  }
}
