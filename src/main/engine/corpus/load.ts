/**
 * Loads a folder as a training corpus: walk the tree (walk.ts), then read every admitted file
 * exactly once, in sorted order (read-files.ts).
 */
import { resolve } from 'node:path'
import { ZodError } from 'zod'
import { ScanOptions, type CorpusFile, type ScanSummary } from '../../../shared/corpus'
import { UserError } from '../../../shared/errors'
import { readChatData } from '../chat/data'
import { isChatFile } from '../chat/records'
import { describeFsError, errorCode, nodeCorpusFs, type CorpusFs } from './corpus-fs'
import { compareCodePoints } from './paths'
import { ProgressReporter, type ProgressUpdate } from './progress'
import { readFiles } from './read-files'
import { describeSkips } from './skip-summary'
import { walkTree } from './walk'
import { ContainedRoot } from '../containment'

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

export async function loadCorpusWith(
  options: ScanOptions,
  hooks: LoadHooks = {},
  fs: CorpusFs = nodeCorpusFs,
): Promise<LoadedCorpus> {
  const started = performance.now()
  const { folder, maxFileBytes, excludeDir, followLinks } = parseOptions(options)
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

  // The folder as it is now, by identity: every folder and file below is reached from it under the
  // containment rule (never through a link swapped in during the scan).
  const tree = openTree(rootReal, root)
  const progress = new ProgressReporter(hooks.onProgress)
  const walked = await walkTree({
    tree,
    fs,
    root,
    rootReal,
    excludeReal,
    followLinks,
    progress,
    checkCancelled,
    rootUnreadable: (error) =>
      new UserError('unreadable', `Cannot read the folder ${root}: ${describeFsError(error)}.`),
  })

  const read = await readFiles(walked.candidates, { fs, tree, maxFileBytes, progress, checkCancelled })

  const files: CorpusFile[] = []
  const documents: LoadedDocument[] = []
  const totals = { files: 0, bytes: 0, chars: 0, lines: 0 }
  for (const { file, text } of read.accepted) {
    files.push(file)
    documents.push({ path: file.path, text })
    totals.files++
    totals.bytes += file.bytes
    totals.chars += file.chars
    totals.lines += file.lines
  }
  const skipped = [...walked.skipped, ...read.skipped]
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
  // Chat data is parsed here too, so a scan reports its conversations and bad lines.
  if (documents.some((document) => isChatFile(document.path))) {
    summary.chat = readChatData(documents).summary
  }
  return { summary, documents }
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

function openTree(rootReal: string, root: string): ContainedRoot {
  try {
    return ContainedRoot.open(rootReal, 'The folder')
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
