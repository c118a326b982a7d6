/**
 * `cllm scan <folder>`: what the corpus loader makes of a folder — with --verbose one
 * `Loaded: <path> (<N> bytes)` line per file, then the totals and the skipped paths grouped by
 * reason; with --json the ScanSummary as one JSON document. Ctrl+C cancels the scan.
 */
import type { Command } from 'commander'
import { describeIssue } from '../../main/engine/chat/data'
import { loadCorpus } from '../../main/engine/corpus'
import { chatShapeLabels, type ChatDataSummary } from '../../shared/chat'
import {
  MAX_FILE_BYTES_LIMIT,
  skipReasonLabels,
  type ScanSummary,
  type SkippedPath,
  type SkipReason,
} from '../../shared/corpus'
import { UserError } from '../../shared/errors'

export interface ScanCommandOptions {
  verbose?: boolean
  json?: boolean
  /** As typed after --max-file-mb. */
  maxFileMb?: string
  followLinks?: boolean
}

/** The size cap the loader's options accept, in MiB. */
const MAX_FILE_MB_LIMIT = MAX_FILE_BYTES_LIMIT / (1024 * 1024)

export function register(program: Command): void {
  program
    .command('scan')
    .description(
      'Scan a folder as a training corpus: the files it would load and those it skips, with reasons.',
    )
    .argument('<folder>', 'folder of text files')
    .option('-v, --verbose', 'print one line per loaded file')
    .option('--json', 'print the scan summary as one JSON document')
    .option('--max-file-mb <mb>', 'skip files larger than this many MiB (default 100, at most 500)')
    .option(
      '--follow-links',
      'also read files that symbolic links in the folder lead to outside it',
    )
    .action(async (folder: string, options: ScanCommandOptions) => {
      const controller = new AbortController()
      const cancel = (): void => controller.abort()
      process.once('SIGINT', cancel)
      try {
        await scanFolder(
          folder,
          options,
          (line) => process.stdout.write(`${line}\n`),
          controller.signal,
        )
      } finally {
        process.off('SIGINT', cancel)
      }
    })
}

export async function scanFolder(
  folder: string,
  options: ScanCommandOptions,
  print: (line: string) => void,
  signal?: AbortSignal,
): Promise<ScanSummary> {
  const maxFileBytes =
    options.maxFileMb === undefined ? undefined : parseMaxFileMb(options.maxFileMb)
  const { summary } = await loadCorpus(
    {
      folder,
      ...(maxFileBytes === undefined ? {} : { maxFileBytes }),
      ...(options.followLinks ? { followLinks: true } : {}),
    },
    { signal },
  )
  if (options.json) {
    print(JSON.stringify(summary, null, 2))
  } else {
    if (options.verbose)
      for (const file of summary.files) print(`Loaded: ${file.path} (${file.bytes} bytes)`)
    for (const line of formatSummary(summary)) print(line)
  }
  return summary
}

export function parseMaxFileMb(text: string): number {
  const mb = Number(text)
  if (text.trim() === '' || !Number.isFinite(mb) || mb <= 0 || mb > MAX_FILE_MB_LIMIT) {
    throw new UserError(
      'invalid-input',
      `--max-file-mb must be a number of MiB above 0 and at most ${MAX_FILE_MB_LIMIT}, not "${text}".`,
    )
  }
  return Math.max(1, Math.floor(mb * 1024 * 1024))
}

/** The totals, then the skipped paths grouped by reason (largest group first). */
export function formatSummary(summary: ScanSummary): string[] {
  const { totals } = summary
  const number = (n: number): string => n.toLocaleString('en-US')
  const lines = [
    `Scanned ${summary.root} in ${(summary.durationMs / 1000).toFixed(2)} s`,
    `  files:      ${number(totals.files)}`,
    `  bytes:      ${number(totals.bytes)}`,
    `  characters: ${number(totals.chars)}`,
    `  lines:      ${number(totals.lines)}`,
  ]
  if (summary.chat) lines.push(...formatChat(summary.chat))
  if (summary.skipped.length === 0) {
    lines.push('Skipped: none')
    return lines
  }
  lines.push(`Skipped: ${number(summary.skipped.length)}`)
  for (const [reason, paths] of groupByReason(summary.skipped)) {
    lines.push(`  ${skipReasonLabels[reason]} (${paths.length}):`)
    for (const { path, detail } of paths) lines.push(`    ${path}${detail ? ` — ${detail}` : ''}`)
  }
  return lines
}

/** The chat files: conversations per file and shape, then every bad line with its reason. */
export function formatChat(chat: ChatDataSummary): string[] {
  const number = (n: number): string => n.toLocaleString('en-US')
  const lines = [`Chat data: ${number(chat.conversations)} conversations in ${number(chat.files.length)} .jsonl files`]
  for (const file of chat.files) {
    const shape = file.shape ? chatShapeLabels[file.shape] : 'no known shape'
    lines.push(`  ${file.path}: ${number(file.conversations)} conversations, ${number(file.badLines)} bad lines — ${shape}`)
  }
  lines.push(chat.issues.length === 0 ? 'Bad lines: none' : `Bad lines: ${number(chat.issues.length)}`)
  for (const issue of chat.issues) lines.push(`  ${describeIssue(issue)}`)
  return lines
}

function groupByReason(skipped: readonly SkippedPath[]): Array<[SkipReason, SkippedPath[]]> {
  const groups = new Map<SkipReason, SkippedPath[]>()
  for (const entry of skipped) {
    const group = groups.get(entry.reason)
    if (group) group.push(entry)
    else groups.set(entry.reason, [entry])
  }
  return [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
}
