/**
 * The Runs view's listing: every run folder with its status (from run.json's end and the writer
 * lock), lineage, duration, tokens seen, best validation loss and the user's title and notes.
 */
import { readdir, rename } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { ContainedRoot, readRegularFile } from '../containment'
import type { RunEntry } from '../../../shared/checkpoint'
import { UserError } from '../../../shared/errors'
import { RunEnd, RunNotes, type RunParent, type RunStatus, type RunSummary, type RunsListing } from '../../../shared/runs'
import { writeFileAtomic } from '../checkpoints/atomic-write'
import { describeRun, listRuns, readMetrics, RUN_JSON } from '../checkpoints'
import { ownSteps, readImport, readParent } from './lineage'
import { isHolderAlive, readRunLock } from './lock'

export const NOTES_FILE = 'notes.json'

export async function readNotes(runDir: string): Promise<RunNotes> {
  try {
    // Under the containment rule: a notes.json that is a link (or a FIFO) is not read.
    const text = (await readRegularFile(join(runDir, NOTES_FILE), { maxBytes: 1 << 20 })).toString('utf8')
    const parsed = RunNotes.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : {}
  } catch {
    return {}
  }
}

/**
 * Sets a run's title and notes (kept in its folder's notes.json). The folder keeps its name, so the
 * lineage recorded by its children still finds it.
 */
export async function writeNotes(runDir: string, change: RunNotes): Promise<RunNotes> {
  const dir = resolve(runDir)
  if (!(await readdir(dir).catch(() => [] as string[])).includes(RUN_JSON)) {
    throw new UserError('not-found', `${dir} is not a run folder (it has no run.json).`)
  }
  // The run folder, opened from the folder holding it, must be a real folder; notes.json a regular file or absent.
  const target = ContainedRoot.open(dirname(dir), 'The checkpoint folder').writeTarget(basename(dir), NOTES_FILE, { create: false })
  const next = RunNotes.parse({ ...(await readNotes(dir)), ...change })
  if (next.title !== undefined && next.title.trim() === '') delete next.title
  await writeFileAtomic(target, [JSON.stringify(next, null, 2) + '\n'])
  return next
}

/**
 * Deletes a run folder through `trash` (the system trash in the desktop app). Refused while the run
 * is being written.
 */
export async function deleteRun(runDir: string, trash: (path: string) => Promise<void>): Promise<void> {
  const dir = resolve(runDir)
  if (!(await readdir(dir).catch(() => [] as string[])).includes(RUN_JSON)) {
    throw new UserError('not-found', `${dir} is not a run folder (it has no run.json); nothing was deleted.`)
  }
  const lock = await readRunLock(dir)
  if (lock && isHolderAlive(lock)) {
    throw new UserError('busy', `Run ${basename(dir)} is still being written (process ${lock.pid}); stop it before deleting it.`)
  }
  await trash(dir)
}

/**
 * A trash for where there is no system one (the browser transport): the folder moves into
 * `<checkpoint dir>/.trash/<name>-<time>`, which the listing skips. Restoring is moving it back.
 */
export function folderTrash(checkpointDir: string | ContainedRoot): (path: string) => Promise<void> {
  return async (path) => {
    // `.trash` is a real folder in the checkpoint folder (made if missing); a link there is refused.
    const root = typeof checkpointDir === 'string' ? ContainedRoot.open(checkpointDir, 'The checkpoint folder', { create: true }) : checkpointDir
    const bin = root.folder('.trash', { create: true })
    const run = root.relativeOf(path)
    if (run === null || run.includes(sep)) throw new UserError('forbidden', `${path} is not a run folder in ${root.path}; nothing was deleted.`)
    root.folder(run) // the run itself: a real folder, not a link
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    await rename(path, join(bin, `${basename(path)}-${stamp}`))
  }
}

function readEnd(info: RunEntry['info']): RunEnd | null {
  const parsed = RunEnd.safeParse((info as { ended?: unknown } | null)?.ended)
  return parsed.success ? parsed.data : null
}

function statusOf(end: RunEnd | null, lockAlive: boolean | null, entry: RunEntry): RunStatus {
  if (lockAlive) return 'running'
  if (lockAlive === false) return 'interrupted'
  if (end) return end.reason === 'completed' ? 'done' : end.reason
  // A run written before run.json recorded ends: its final model says it completed.
  return entry.checkpoints.some((c) => c.kind === 'final' && c.status === 'ok') ? 'done' : 'interrupted'
}

/** One run folder with its status and figures. */
export async function summarizeRun(entry: RunEntry): Promise<RunSummary> {
  const dir = entry.path
  const info = entry.info as (RunEntry['info'] & { started?: string; config: { training?: { batchSize?: number } } }) | null
  const [end, parent, imported, lock, notes, metrics] = await Promise.all([
    readEnd(entry.info),
    readParent(dir),
    readImport(dir),
    readRunLock(dir),
    readNotes(dir),
    readMetrics(dir).catch(() => ({ records: [], skippedLines: 0 })),
  ])
  const lockAlive = lock ? isHolderAlive(lock) : null
  const own = ownSteps(metrics.records).filter((r) => !parent || r.step > parent.step)
  const lastStep = Math.max(end?.step ?? 0, own.at(-1)?.step ?? 0, parent?.step ?? 0, ...entry.checkpoints.filter((c) => c.status === 'ok').map((c) => c.step ?? 0))
  const started = info?.started ?? info?.created ?? entry.created
  const lastTime = end?.at ?? own.at(-1)?.time ?? null
  const durationSec = started && lastTime ? Math.max(0, (Date.parse(lastTime) - Date.parse(started)) / 1000) : null
  const batch = info?.config.training?.batchSize
  const tokens = typeof batch === 'number' && info ? lastStep * batch * info.config.model.seqLen : 0
  const valLosses = [
    ...own.map((r) => r.val_loss),
    ...entry.checkpoints.map((c) => c.valLoss),
  ].filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  return {
    ...entry,
    status: statusOf(end, lockAlive, entry),
    parent: parent as RunParent | null,
    initFrom: typeof entry.info?.initFrom === 'string' ? entry.info.initFrom : null,
    started: started ?? null,
    ended: end,
    durationSec: durationSec !== null && Number.isFinite(durationSec) ? durationSec : null,
    step: lastStep,
    tokens,
    bestValLoss: valLosses.length > 0 ? Math.min(...valLosses) : null,
    title: notes.title ?? null,
    notes: notes.notes ?? '',
    pid: lockAlive ? lock!.pid : null,
    imported,
  }
}

/** Every run under a checkpoint folder with its status, oldest first (hidden folders skipped). */
export async function listRunSummaries(
  checkpointDir: string,
  options: { verify?: boolean } = {},
): Promise<RunsListing> {
  const listing = await listRuns(checkpointDir, options)
  const runs = listing.runs.filter((run) => !basename(run.path).startsWith('.'))
  return { dir: listing.dir, runs: await Promise.all(runs.map(summarizeRun)) }
}

/** One run folder, summarised. */
export async function describeRunSummary(runDir: string): Promise<RunSummary> {
  return summarizeRun(await describeRun(runDir))
}
