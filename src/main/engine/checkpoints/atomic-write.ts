/**
 * Atomic file replacement: the bytes go to `<path>.tmp-<random>` in the same folder, are fsynced,
 * and the temporary file is renamed over `path`, then the folder is fsynced so the rename itself
 * survives a power cut. Readers see the old file or the new one, never a torn one; on any failure
 * the temporary file is removed and the error rethrown.
 *
 * A process killed mid-write leaves its temporary file behind; the name carries the writer's process
 * id, so `removeStaleTempFiles` (run at the next start and listing) removes exactly those whose
 * writer is gone, never one a live process is still writing.
 */
import { randomBytes } from 'node:crypto'
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { assertWritableFile } from '../containment'

export type ChunkWriter = (handle: FileHandle, chunk: Uint8Array) => Promise<void>

export interface AtomicWriteOptions {
  /** Writes one chunk; replaceable so tests can make a write fail half-way. */
  writeChunk?: ChunkWriter
}

/** Marks temporary files so listings skip them. */
export const TEMP_MARKER = '.tmp-'

export function tempPathFor(path: string): string {
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`
  return join(dirname(path), `${basename(path)}${TEMP_MARKER}${suffix}`)
}

/** `<name>.tmp-<pid>-<hex>` (or the older `<name>.tmp-<hex>`): the writer's pid, or null when absent. */
function writerOf(file: string): { pid: number | null } | null {
  const at = file.lastIndexOf(TEMP_MARKER)
  if (at <= 0) return null
  const match = /^(?:(\d+)-)?[0-9a-f]{12}$/.exec(file.slice(at + TEMP_MARKER.length))
  if (!match) return null
  return { pid: match[1] === undefined ? null : Number(match[1]) }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' // alive, someone else's
  }
}

/**
 * Removes the temporary files in `folder` left by writes whose process is gone (killed mid-write).
 * Ours and those of live processes are in flight and stay. Returns the names removed.
 */
export async function removeStaleTempFiles(folder: string): Promise<string[]> {
  const files = await readdir(folder).catch(() => [] as string[])
  const removed: string[] = []
  for (const file of files) {
    const writer = writerOf(file)
    if (!writer) continue
    if (writer.pid !== null && (writer.pid === process.pid || isAlive(writer.pid))) continue
    await rm(join(folder, file), { force: true }).catch(() => undefined)
    removed.push(file)
  }
  return removed
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
  // A link (or a FIFO, a folder) at the destination is refused, never replaced or followed.
  assertWritableFile(path)
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
    // The user named `path`; the temporary name means nothing to them.
    if (error instanceof Error) error.message = error.message.split(temp).join(path)
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
