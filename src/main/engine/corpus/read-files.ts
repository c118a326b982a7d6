/**
 * The reading phase: every file the walk admitted is read exactly once, in sorted order, then
 * either accepted (decoded once, counted) or skipped with a reason.
 *
 * Reads are synchronous (see corpus-fs.ts for the measurement) and run in slices of at most
 * SLICE_MS; between slices the loader yields to the event loop so progress reports, a cancel
 * request and other calls to the engine are not held up.
 */
import { isAscii } from 'node:buffer'
import type { Stats } from 'node:fs'
import { ContainmentRefusal, FolderCursor, type ContainedRoot } from '../containment'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { CorpusFile, SkippedPath } from '../../../shared/corpus'
import { formatBytes } from '../../../shared/units'
import { AsciiChunk } from './ascii-chunk'
import { describeFsError, type CorpusFs } from './corpus-fs'
import type { ProgressReporter } from './progress'
import { readWholeFile, type FileRead } from './read-file'
import { countCodePoints, countLines, decodeUtf8, looksBinary } from './text'
import type { Candidate } from './walk'

export const SLICE_MS = 10

export interface ReadFilesOptions {
  fs: CorpusFs
  /** The scanned folder under the containment rule; candidates with `inside` are opened through it. */
  tree?: ContainedRoot
  maxFileBytes: number
  progress: ProgressReporter
  checkCancelled: () => void
}

export interface AcceptedFile {
  file: CorpusFile
  text: string
}

export interface ReadFilesResult {
  /** In the order of the candidates. */
  accepted: AcceptedFile[]
  skipped: SkippedPath[]
}

export async function readFiles(
  candidates: readonly Candidate[],
  options: ReadFilesOptions,
): Promise<ReadFilesResult> {
  const { fs, maxFileBytes, progress, checkCancelled, tree } = options
  const cursor = tree ? new FolderCursor(tree) : undefined
  // Hard links: a file with more than one name is read once, under the first name met.
  const firstNameOf = new Map<string, string>()
  const chunk = new AsciiChunk()
  const accepted: AcceptedFile[] = []
  const skipped: SkippedPath[] = []
  const bufferFor = (size: number): Buffer => chunk.room(size) ?? Buffer.allocUnsafeSlow(size)

  const readOne = ({ path, absolute, inside }: Candidate): void => {
    let read: FileRead
    const readBefore = (info: Stats): string | undefined => {
      if (info.nlink <= 1) return undefined
      const key = `${info.dev}:${info.ino}`
      const first = firstNameOf.get(key)
      if (first === undefined) firstNameOf.set(key, path)
      return first
    }
    try {
      const where = tree && cursor && inside !== undefined ? { root: tree, relative: inside, cursor } : undefined
      read = readWholeFile(fs, absolute, maxFileBytes, bufferFor, where, readBefore)
    } catch (error) {
      if (error instanceof ContainmentRefusal && error.why === 'not-regular')
        return void skipped.push({ path, reason: 'not-a-file' })
      return void skipped.push({ path, reason: 'unreadable', detail: describeFsError(error) })
    }
    if (read.kind === 'not-a-file') return void skipped.push({ path, reason: 'not-a-file' })
    if (read.kind === 'duplicate')
      return void skipped.push({ path, reason: 'duplicate', detail: `same file as ${read.of} (a hard link)` })
    if (read.kind === 'binary') return void skipped.push({ path, reason: 'binary' })
    if (read.kind === 'too-large') {
      const detail = `${formatBytes(read.size)}, cap ${formatBytes(maxFileBytes)}`
      return void skipped.push({ path, reason: 'too-large', detail })
    }
    const { bytes } = read
    if (bytes.length === 0) return void skipped.push({ path, reason: 'empty' })
    if (looksBinary(bytes)) return void skipped.push({ path, reason: 'binary' })

    const ascii = isAscii(bytes)
    if (ascii && chunk.holds(bytes)) {
      const entry: AcceptedFile = {
        file: { path, bytes: bytes.length, chars: bytes.length, lines: 0 },
        text: '',
      }
      accepted.push(entry)
      chunk.keep(bytes.length, (text) => {
        entry.text = text
        entry.file.lines = countLines(text)
      })
    } else {
      const text = decodeUtf8(bytes, ascii)
      if (text.length === 0)
        return void skipped.push({ path, reason: 'empty', detail: 'only a byte-order mark' })
      const file = {
        path,
        bytes: bytes.length,
        chars: countCodePoints(text, ascii),
        lines: countLines(text),
      }
      accepted.push({ file, text })
    }
    progress.filesAccepted++
    progress.bytesRead += bytes.length
  }

  progress.filesToRead = candidates.length
  let sliceStart = performance.now()
  try {
    for (const candidate of candidates) {
      checkCancelled()
      readOne(candidate)
      progress.filesRead++
      progress.currentPath = candidate.path
      progress.tick()
      if (performance.now() - sliceStart >= SLICE_MS) {
        await yieldToEventLoop()
        sliceStart = performance.now()
      }
    }
  } finally {
    cursor?.close()
  }
  chunk.flush()
  return { accepted, skipped }
}
