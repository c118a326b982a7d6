/**
 * Atomic file replacement: the bytes go to `<path>.tmp-<random>` in the same folder, are fsynced,
 * and the temporary file is renamed over `path`, then the folder is fsynced so the rename itself
 * survives a power cut. Readers see the old file or the new one, never a torn one; on any failure
 * the temporary file is removed and the error rethrown.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export type ChunkWriter = (handle: FileHandle, chunk: Uint8Array) => Promise<void>

export interface AtomicWriteOptions {
  /** Writes one chunk; replaceable so tests can make a write fail half-way. */
  writeChunk?: ChunkWriter
}

/** Marks temporary files so listings skip them. */
export const TEMP_MARKER = '.tmp-'

export function tempPathFor(path: string): string {
  return join(dirname(path), `${basename(path)}${TEMP_MARKER}${randomBytes(6).toString('hex')}`)
}

async function writeWhole(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
    offset += bytesWritten
  }
}

export async function writeFileAtomic(
  path: string,
  chunks: Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const writeChunk = options.writeChunk ?? writeWhole
  const temp = tempPathFor(path)
  let handle: FileHandle | undefined
  try {
    handle = await open(temp, 'wx')
    for await (const chunk of chunks) {
      await writeChunk(handle, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)
    }
    await handle.sync()
    await handle.close()
    handle = undefined
    await rename(temp, path)
  } catch (error) {
    await handle?.close().catch(() => undefined)
    await rm(temp, { force: true }).catch(() => undefined)
    throw error
  }
  await syncFolder(dirname(path))
}

/** Makes a rename in `folder` durable. Some platforms (Windows) cannot open a folder: best effort there. */
async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(folder, 'r')
    await handle.sync()
  } catch {
    // The file is already complete and in place; only durability across a power cut is weaker.
  } finally {
    await handle?.close().catch(() => undefined)
  }
}
