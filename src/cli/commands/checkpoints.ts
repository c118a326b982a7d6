/**
 * `cllm checkpoints [dir]`: the runs under a checkpoint folder and their checkpoints, as a table
 * (step, epoch, losses, size, created; the best by validation loss marked) or as JSON. Damaged files
 * are listed with the reason they cannot be used.
 */
import type { Command } from 'commander'
import { listRuns } from '../../main/engine/checkpoints'
import type { CheckpointEntry, RunEntry, RunListing } from '../../shared/checkpoint'

export interface CheckpointsOptions {
  json?: boolean
  /** Read each checkpoint whole: tensor hashes, metadata consistency, finite weights. */
  verify?: boolean
}

export function register(program: Command): void {
  program
    .command('checkpoints')
    .description('List the training runs in a checkpoint folder and their checkpoints.')
    .argument('[dir]', 'checkpoint folder (or one run folder)', './checkpoints')
    .option('--json', 'print the listing as JSON')
    .option('--verify', "read every checkpoint whole and check its tensors' hash and weights")
    .action(async (dir: string, options: CheckpointsOptions) => {
      await listCheckpoints(dir, options, (line) => process.stdout.write(`${line}\n`))
    })
}

export async function listCheckpoints(
  dir: string,
  options: CheckpointsOptions,
  print: (line: string) => void,
): Promise<RunListing> {
  const listing = await listRuns(dir, { verify: options.verify === true })
  if (options.json) print(JSON.stringify(listing, null, 2))
  else for (const line of formatListing(listing)) print(line)
  return listing
}

const KIB = 1024

export function formatBytes(bytes: number): string {
  if (bytes < KIB) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / KIB
  let unit = 0
  while (value >= KIB && unit < units.length - 1) {
    value /= KIB
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
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

export function formatListing(listing: RunListing): string[] {
  if (listing.runs.length === 0) return [`No training runs in ${listing.dir}.`]
  const lines = [`Checkpoints in ${listing.dir}`]
  let checkpoints = 0
  let corrupt = 0
  for (const run of listing.runs) {
    lines.push('')
    const model = describeModel(run)
    lines.push(`${run.name}  (created ${formatTime(run.created)}${model ? `; ${model}` : ''})`)
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
    for (const c of run.checkpoints.filter((entry) => entry.status === 'corrupt')) {
      lines.push(`  ! ${c.file} (${formatBytes(c.sizeBytes)}) cannot be used: ${c.problem}`)
    }
    checkpoints += run.checkpoints.length
    corrupt += run.checkpoints.length - readable.length
  }
  lines.push('')
  const runs = `${listing.runs.length} run${listing.runs.length === 1 ? '' : 's'}`
  const files = `${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'}${corrupt ? ` (${corrupt} unusable)` : ''}`
  lines.push(`${runs}, ${files}. * marks the lowest validation loss of a run.`)
  return lines
}
