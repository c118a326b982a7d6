import { z } from 'zod'
import { ChatDataSummary } from './chat'

/** Why a path was left out of the corpus. Each has a sentence the user can read (skipReasonLabels). */
export const SkipReason = z.enum([
  'hidden',
  'node_modules',
  'gitignored',
  'binary',
  'too-large',
  'unreadable',
  'symlink-loop',
  'checkpoint-dir',
  'not-a-file',
  'empty',
  'duplicate',
  'link-outside',
  'bad-name',
  'other-device',
])
export type SkipReason = z.infer<typeof SkipReason>

export const skipReasonLabels: Record<SkipReason, string> = {
  hidden: 'hidden file or folder',
  node_modules: 'node_modules folder',
  gitignored: 'matched by .gitignore',
  binary: 'binary file (not UTF-8 text)',
  'too-large': 'larger than the size cap',
  unreadable: 'could not be read',
  'symlink-loop': 'symbolic link loop',
  'checkpoint-dir': 'the checkpoint folder itself',
  'not-a-file': 'not a regular file',
  empty: 'empty file',
  duplicate: 'same file or folder already loaded through another path',
  'link-outside': 'link leads outside the folder',
  'bad-name': 'file name is not valid UTF-8',
  'other-device': 'another file system mounted inside the folder',
}

export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
/**
 * The largest size cap: a file becomes one JavaScript string, and V8 strings hold at most
 * 2^29 − 24 UTF-16 units (about 512 Mi characters), so larger files could never be loaded.
 */
export const MAX_FILE_BYTES_LIMIT = 500 * 1024 * 1024

export const ScanOptions = z.object({
  folder: z.string().min(1, 'folder is required'),
  maxFileBytes: z
    .number()
    .int()
    .positive()
    .max(MAX_FILE_BYTES_LIMIT, 'at most 500 MiB (the longest text one file can become)')
    .default(DEFAULT_MAX_FILE_BYTES),
  /** Folder that must never be read as training data (the checkpoint directory). */
  excludeDir: z.string().optional(),
  /**
   * Follow symbolic links that lead outside the folder. Off by default (such links are skipped as
   * "link leads outside the folder"); only the CLI turns it on, with --follow-links.
   */
  followLinks: z.boolean().default(false),
})
export type ScanOptions = z.input<typeof ScanOptions>

export const CorpusFile = z.object({
  /** Path relative to the scanned root, with forward slashes. */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  chars: z.number().int().nonnegative(),
  lines: z.number().int().nonnegative(),
})
export type CorpusFile = z.infer<typeof CorpusFile>

export const SkippedPath = z.object({
  path: z.string(),
  reason: SkipReason,
  detail: z.string().optional(),
})
export type SkippedPath = z.infer<typeof SkippedPath>

export const CorpusTotals = z.object({
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  chars: z.number().int().nonnegative(),
  lines: z.number().int().nonnegative(),
})
export type CorpusTotals = z.infer<typeof CorpusTotals>

export const ScanSummary = z.object({
  root: z.string(),
  files: z.array(CorpusFile),
  totals: CorpusTotals,
  skipped: z.array(SkippedPath),
  durationMs: z.number().nonnegative(),
  /** Present when the folder holds `.jsonl` files: their conversations and every bad line. */
  chat: ChatDataSummary.optional(),
})
export type ScanSummary = z.infer<typeof ScanSummary>

export const ScanProgress = z.object({
  scanId: z.string(),
  filesSeen: z.number().int().nonnegative(),
  filesAccepted: z.number().int().nonnegative(),
  bytesRead: z.number().int().nonnegative(),
  currentPath: z.string(),
  /** Files read so far, accepted or not (the reading phase starts once the folder walk is done). */
  filesRead: z.number().int().nonnegative().optional(),
  /** Files the reading phase will read; known once the walk is done. filesRead / filesToRead is a progress bar. */
  filesToRead: z.number().int().nonnegative().optional(),
})
export type ScanProgress = z.infer<typeof ScanProgress>
