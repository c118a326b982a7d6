/**
 * `cllm checkpoints [dir]`: the runs under a checkpoint folder with their status and lineage, and
 * their checkpoints as a table (step, epoch, losses, size, created; the best by validation loss
 * marked) or as JSON. Damaged files are listed with the reason they cannot be used. `--history
 * <run>` prints one run's whole history (its parents' metrics up to each resume, then its own).
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { RUN_JSON } from '../../main/engine/checkpoints'
import { UserError } from '../../shared/errors'
import { formatBytes } from '../../shared/units'
import { listRunSummaries, runHistory } from '../../main/engine/runs'
import type { CheckpointEntry, RunEntry } from '../../shared/checkpoint'
import { lineageText, type RunHistory, type RunSummary, type RunsListing } from '../../shared/runs'

export interface CheckpointsOptions {
  json?: boolean
  /** Read each checkpoint whole: tensor hashes, metadata consistency, finite weights. */
  verify?: boolean
  history?: string
}

export function register(program: Command): void {
  program
    .command('checkpoints')
    .description('List the training runs in a checkpoint folder and their checkpoints.')
    .argument('[dir]', 'checkpoint folder (or one run folder)', './checkpoints')
    .option('--json', 'print the listing as JSON')
    .option('--verify', 'read every checkpoint whole: header and tensor SHA-256, metadata consistency, finite weights; says what passed, exits 1 if any fails')
    .option('--history <run>', "print a run folder's whole history as metrics lines (JSON), its parents' steps first")
    .action(async (dir: string, options: CheckpointsOptions) => {
      const print = (line: string) => process.stdout.write(`${line}\n`)
      if (options.history !== undefined) await printHistory(options.history, options, print)
      else {
        const listing = await listCheckpoints(dir, options, print)
        if (options.verify && unusable(listing) > 0) process.exitCode = 1
      }
    })
}

export async function listCheckpoints(
  dir: string,
  options: CheckpointsOptions,
  print: (line: string) => void,
): Promise<RunsListing> {
  const listing = await listRunSummaries(dir, { verify: options.verify === true })
  if (options.json) print(JSON.stringify(listing, null, 2))
  else for (const line of formatListing(listing, { verified: options.verify === true })) print(line)
  return listing
}

/** Checkpoints that cannot be used (with --verify: that failed a check). */
export function unusable(listing: RunsListing): number {
  return listing.runs.reduce((sum, run) => sum + run.checkpoints.filter((c) => c.status === 'corrupt').length, 0)
}

/** One metrics line per step of the run's lineage (JSON lines), or the whole object with --json. */
export async function printHistory(runDir: string, options: CheckpointsOptions, print: (line: string) => void): Promise<RunHistory> {
  if (!existsSync(join(runDir, RUN_JSON))) {
    throw new UserError('not-found', `${resolve(runDir)} is not a run folder: it has no ${RUN_JSON}.`)
  }
  const history = await runHistory(runDir)
  if (options.json) print(JSON.stringify(history, null, 2))
  else for (const record of history.records) print(JSON.stringify(record))
  if (history.problem) process.stderr.write(`Warning: ${history.problem}\n`)
  return history
}

/** Local date and time to the minute, or the text as given when it is not a date. */
export function formatTime(iso: string | null): string {
  if (!iso) return '-'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const two = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}`
}

const formatLoss = (loss: number | null) => (loss === null ? '-' : loss.toFixed(4))

function describeModel(run: RunEntry): string {
  const model = run.info?.config.model
  if (!model) return ''
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  return `vocab ${model.vocabSize}, embed ${model.dModel}, ${plural(model.nLayers, 'layer')}, ${plural(model.nHeads, 'head')}, seq ${model.seqLen}`
}

const HEADINGS = ['checkpoint', 'step', 'epoch', 'val loss', 'train loss', 'size', 'created']
/** How the train loss column is computed, said under the table. */
const TRAIN_LOSS_NOTE = 'train loss is the mean of the last 100 steps before the checkpoint (each step is in metrics.jsonl); val loss is measured at the checkpoint\'s own step (- when it was not).'
/** Columns after the first are right-aligned numbers, except the date. */
const LEFT_ALIGNED = new Set([0, 6])

function checkpointRow(c: CheckpointEntry): string[] {
  return [
    c.file,
    c.step === null ? '-' : String(c.step),
    c.epoch === null ? '-' : c.epoch.toFixed(2),
    formatLoss(c.valLoss),
    formatLoss(c.trainLoss),
    formatBytes(c.sizeBytes),
    formatTime(c.created),
  ]
}

function table(rows: string[][], markers: string[]): string[] {
  const widths = HEADINGS.map((_, col) => Math.max(...rows.map((row) => row[col].length)))
  return rows.map((row, i) => {
    const cells = row.map((cell, col) =>
      LEFT_ALIGNED.has(col) ? cell.padEnd(widths[col]) : cell.padStart(widths[col]),
    )
    return `${markers[i]} ${cells.join('  ')}`.trimEnd()
  })
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 })
}

/** `done · 1,200 steps, 38,400 tokens, best val 2.1834, 3:12` and the parent it continues. */
function runFacts(run: RunSummary): string[] {
  const parts = [run.status, `${formatCount(run.step)} steps`, `${formatCount(run.tokens)} tokens`]
  if (run.bestValLoss !== null) parts.push(`best val loss ${run.bestValLoss.toFixed(4)}`)
  if (run.durationSec !== null) parts.push(formatSeconds(run.durationSec))
  if (run.ended?.tokensPerSec) parts.push(`${formatCount(run.ended.tokensPerSec)} tok/s training`)
  const lines = [`  ${parts.join(' · ')}${run.title ? ` — "${run.title}"` : ''}`]
  if (run.parent) {
    lines.push(`  ${lineageText(run)} (${run.parent.checkpoint.split(/[\\/]/).pop()}, sha256 ${run.parent.sha256.slice(0, 12)}…)`)
  } else if (run.initFrom) {
    lines.push(`  ${lineageText(run)} (${run.initFrom})`)
  }
  return lines
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds)
  const two = (n: number) => String(n).padStart(2, '0')
  return s >= 3600 ? `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}` : `${Math.floor(s / 60)}:${two(s % 60)}`
}

export function formatListing(listing: RunsListing, options: { verified?: boolean } = {}): string[] {
  if (listing.runs.length === 0) return [`No training runs in ${listing.dir}.`]
  const lines = [`Checkpoints in ${listing.dir}`]
  let checkpoints = 0
  let corrupt = 0
  for (const run of listing.runs) {
    lines.push('')
    const model = describeModel(run)
    lines.push(`${run.name}  (created ${formatTime(run.created)}${model ? `; ${model}` : ''})`)
    lines.push(...runFacts(run))
    if (run.problem) lines.push(`  ! ${run.problem}`)
    if (run.checkpoints.length === 0) {
      lines.push('  no checkpoints yet')
      continue
    }
    const readable = run.checkpoints.filter((c) => c.status === 'ok')
    const rows = [HEADINGS, ...readable.map(checkpointRow)]
    lines.push(
      ...table(rows, [' ', ...readable.map((c) => (c.best ? '*' : ' '))]).map((line) => ` ${line}`),
    )
    if (options.verified) {
      for (const c of readable) lines.push(`  ✓ ${c.file}: ${(c.verified ?? []).join('; ')}`)
    }
    for (const c of run.checkpoints.filter((entry) => entry.status === 'corrupt')) {
      lines.push(`  ! ${c.file} (${formatBytes(c.sizeBytes)}) ${options.verified ? 'failed verification' : 'cannot be used'}: ${c.problem}`)
    }
    checkpoints += run.checkpoints.length
    corrupt += run.checkpoints.length - readable.length
  }
  lines.push('')
  const runs = `${listing.runs.length} run${listing.runs.length === 1 ? '' : 's'}`
  const files = `${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'}${corrupt ? ` (${corrupt} unusable)` : ''}`
  lines.push(`${runs}, ${files}. * marks the lowest validation loss of a run; ${TRAIN_LOSS_NOTE}`)
  if (options.verified) {
    lines.push(
      corrupt === 0
        ? `Verified ${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'} whole: all passed.`
        : `Verified ${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'} whole: ${corrupt} failed (marked !).`,
    )
  }
  return lines
}
