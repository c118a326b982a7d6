/**
 * Loads a folder as a training corpus: walk the tree (walk.ts), then read every admitted file
 * exactly once, a bounded number at a time, and keep the results in sorted order.
 */
import { resolve } from 'node:path'
import { ZodError } from 'zod'
import {
  ScanOptions,
  type CorpusFile,
  type ScanSummary,
  type SkippedPath,
} from '../../../shared/corpus'
import { UserError } from '../../../shared/errors'
import { describeFsError, errorCode, nodeCorpusFs, type CorpusFs } from './corpus-fs'
import { mapInOrder } from './ordered-pool'
import { compareCodePoints } from './paths'
import { ProgressReporter, type ProgressUpdate } from './progress'
import { readWholeFile } from './read-file'
import { describeSkips } from './skip-summary'
import { countCodePoints, countLines, decodeUtf8, looksBinary } from './text'
import { walkTree, type Candidate } from './walk'

export interface LoadedDocument {
  /** Relative to the scanned folder, forward slashes. */
  path: string
  text: string
}

export interface LoadedCorpus {
  summary: ScanSummary
  /** One per summary.files entry, in the same order. */
  documents: LoadedDocument[]
}

export interface LoadHooks {
  onProgress?(progress: ProgressUpdate): void
  signal?: AbortSignal
}

/** Files read at the same time: enough to keep the disk and the libuv pool busy, few enough to bound memory. */
export const READS_IN_FLIGHT = 16

type FileOutcome = { file: CorpusFile; text: string } | { skipped: SkippedPath }

export async function loadCorpusWith(
  options: ScanOptions,
  hooks: LoadHooks = {},
  fs: CorpusFs = nodeCorpusFs,
): Promise<LoadedCorpus> {
  const started = performance.now()
  const { folder, maxFileBytes, excludeDir } = parseOptions(options)
  const root = resolve(folder)
  const checkCancelled = (): void => {
    if (hooks.signal?.aborted) throw new UserError('cancelled', 'Scan cancelled.')
  }
  checkCancelled()

  const rootReal = await checkRoot(fs, root)
  const excludeReal = excludeDir === undefined ? undefined : await realOrResolved(fs, excludeDir)
  if (excludeReal === rootReal) {
    throw new UserError(
      'no-usable-text',
      `${root} is the checkpoint folder; choose the folder with your text.`,
    )
  }

  const progress = new ProgressReporter(hooks.onProgress)
  const walked = await walkTree({
    fs,
    root,
    rootReal,
    excludeReal,
    progress,
    checkCancelled,
    rootUnreadable: (error) =>
      new UserError('unreadable', `Cannot read the folder ${root}: ${describeFsError(error)}.`),
  })

  progress.filesToRead = walked.candidates.length
  const readOne = async (candidate: Candidate): Promise<FileOutcome> => {
    checkCancelled()
    const outcome = await loadFile(fs, candidate, maxFileBytes)
    progress.filesRead++
    if ('file' in outcome) {
      progress.filesAccepted++
      progress.bytesRead += outcome.file.bytes
    }
    progress.currentPath = candidate.path
    progress.tick()
    return outcome
  }
  const outcomes = await mapInOrder(walked.candidates, READS_IN_FLIGHT, readOne)

  const files: CorpusFile[] = []
  const documents: LoadedDocument[] = []
  const skipped = walked.skipped
  const totals = { files: 0, bytes: 0, chars: 0, lines: 0 }
  for (const outcome of outcomes) {
    if ('skipped' in outcome) {
      skipped.push(outcome.skipped)
      continue
    }
    const { file, text } = outcome
    files.push(file)
    documents.push({ path: file.path, text })
    totals.files++
    totals.bytes += file.bytes
    totals.chars += file.chars
    totals.lines += file.lines
  }
  skipped.sort((a, b) => compareCodePoints(a.path, b.path))
  progress.finish()

  if (files.length === 0) {
    throw new UserError(
      'no-usable-text',
      `${root} holds no usable text: ${describeSkips(skipped)}.`,
    )
  }
  const summary: ScanSummary = {
    root,
    files,
    totals,
    skipped,
    durationMs: performance.now() - started,
  }
  return { summary, documents }
}

/** Reads one file (once), and either accepts it with its counts or says why not. */
async function loadFile(
  fs: CorpusFs,
  candidate: Candidate,
  maxFileBytes: number,
): Promise<FileOutcome> {
  const { path } = candidate
  let read
  try {
    read = await readWholeFile(fs, candidate.absolute, maxFileBytes)
  } catch (error) {
    return { skipped: { path, reason: 'unreadable', detail: describeFsError(error) } }
  }
  if (read.kind === 'not-a-file') return { skipped: { path, reason: 'not-a-file' } }
  if (read.kind === 'too-large') {
    const detail = `${formatSize(read.size)}, cap ${formatSize(maxFileBytes)}`
    return { skipped: { path, reason: 'too-large', detail } }
  }
  const { bytes } = read
  if (bytes.length === 0) return { skipped: { path, reason: 'empty' } }
  if (looksBinary(bytes)) return { skipped: { path, reason: 'binary' } }
  const text = decodeUtf8(bytes)
  if (text.length === 0)
    return { skipped: { path, reason: 'empty', detail: 'only a byte-order mark' } }
  const file = {
    path,
    bytes: bytes.length,
    chars: countCodePoints(text, bytes),
    lines: countLines(text),
  }
  return { file, text }
}

function parseOptions(options: ScanOptions): ReturnType<typeof ScanOptions.parse> {
  try {
    return ScanOptions.parse(options)
  } catch (error) {
    if (!(error instanceof ZodError)) throw error
    const message = error.issues
      .map((issue) =>
        issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
      )
      .join('; ')
    throw new UserError('invalid-input', message)
  }
}

/** The root must exist, be a folder (links are followed) and be listable; returns its real path. */
async function checkRoot(fs: CorpusFs, root: string): Promise<string> {
  let isFolder: boolean
  try {
    isFolder = (await fs.stat(root)).isDirectory()
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new UserError('not-found', `Folder not found: ${root}`)
    throw new UserError('unreadable', `Cannot read the folder ${root}: ${describeFsError(error)}.`)
  }
  if (!isFolder)
    throw new UserError(
      'not-a-folder',
      `${root} is a file, not a folder. Choose the folder that holds it.`,
    )
  try {
    return await fs.realpath(root)
  } catch (error) {
    throw new UserError('unreadable', `Cannot read the folder ${root}: ${describeFsError(error)}.`)
  }
}

/** The checkpoint folder may not exist yet: then its resolved path stands for its real path. */
async function realOrResolved(fs: CorpusFs, path: string): Promise<string> {
  try {
    return await fs.realpath(path)
  } catch {
    return resolve(path)
  }
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}
