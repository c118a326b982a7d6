/**
 * The run folder: `<checkpoint-dir>/<run-name>/` with `run.json`, an append-only `metrics.jsonl`,
 * `checkpoint_step_<N>.safetensors` and `final_model.safetensors`. Listing reads only headers and is
 * tolerant: a damaged file shows up as corrupt with its reason, never as a crash.
 */
import { lstat, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import {
  MetricsRecord,
  RunInfo,
  valLossAtStep,
  type CheckpointEntry,
  type CheckpointKind,
  type RunEntry,
  type RunInfoInput,
  type RunListing,
} from '../../../shared/checkpoint'
import { UserError } from '../../../shared/errors'
import { RUN_NAME_MAX_CHARS } from '../../../shared/training'
import { assertWritableFile, ContainedRoot, readRegularFile } from '../containment'
import { removeStaleTempFiles, writeFileAtomic } from './atomic-write'
import { CorruptCheckpointError } from './errors'
import { readCheckpointInfo, verifyCheckpoint, type CheckpointInfo } from './format'

export const RUN_JSON = 'run.json'
export const METRICS_JSONL = 'metrics.jsonl'
export const FINAL_MODEL_FILE = 'final_model.safetensors'
const CHECKPOINT_EXTENSION = '.safetensors'
const STEP_FILE = /^checkpoint_step_(\d+)\.safetensors$/
const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

export function checkpointPath(runDir: string, step: number): string {
  if (!Number.isSafeInteger(step) || step < 0)
    throw new Error(`A checkpoint step must be a whole number ≥ 0, not ${step}.`)
  return join(runDir, `checkpoint_step_${step}${CHECKPOINT_EXTENSION}`)
}

export function finalModelPath(runDir: string): string {
  return join(runDir, FINAL_MODEL_FILE)
}

/** What a checkpoint file is, from its name alone. */
export function classifyCheckpointFile(
  file: string,
): { kind: CheckpointKind; step: number | null } | null {
  if (!file.endsWith(CHECKPOINT_EXTENSION)) return null
  const match = STEP_FILE.exec(file)
  if (match) return { kind: 'step', step: Number(match[1]) }
  return { kind: file === FINAL_MODEL_FILE ? 'final' : 'other', step: null }
}

function defaultRunName(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0')
  return `run-${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}`
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code
}

/**
 * Creates the run folder and returns its absolute path. Without a name it is `run-YYYY-MM-DD-HHMM`
 * (local time), suffixed `-2`, `-3`… when that exists; a given name must not exist yet.
 */
export async function createRunDir(
  checkpointDir: string,
  name?: string,
  now: Date = new Date(),
): Promise<string> {
  if (name !== undefined && (!RUN_NAME.test(name) || name.length > RUN_NAME_MAX_CHARS)) {
    throw new UserError(
      'invalid-input',
      `Run name "${name}" is not usable as a folder name: use letters, digits, ".", "_" and "-" (up to ${RUN_NAME_MAX_CHARS} characters).`,
    )
  }
  const root = openCheckpointFolder(checkpointDir).path
  const base = name ?? defaultRunName(now)
  for (let attempt = 1; ; attempt++) {
    const runDir = join(root, attempt === 1 ? base : `${base}-${attempt}`)
    try {
      await mkdir(runDir)
      return runDir
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error
      if (name !== undefined) {
        throw new UserError(
          'invalid-input',
          `Run folder ${runDir} already exists; choose another run name.`,
        )
      }
    }
  }
}

/**
 * The checkpoint folder a run is created in, as a contained root (made when missing): a link as
 * `--checkpoint-dir` is refused, so no run is written through one.
 */
export function openCheckpointFolder(checkpointDir: string): ContainedRoot {
  try {
    return ContainedRoot.open(checkpointDir, 'The checkpoint folder', { create: true })
  } catch (error) {
    if (error instanceof UserError && error.code === 'not-a-folder')
      throw new UserError('not-a-folder', `Checkpoint folder ${resolve(checkpointDir)} exists but is not a folder.`)
    throw error
  }
}

/** run.json holds a config and a few figures; anything larger is not one. */
const RUN_JSON_MAX_BYTES = 16 * 1024 * 1024

export async function writeRunJson(runDir: string, info: RunInfoInput): Promise<void> {
  const valid = RunInfo.parse(info)
  await writeFileAtomic(join(runDir, RUN_JSON), [JSON.stringify(valid, null, 2) + '\n'])
}

/**
 * The run's end when the disk is full: an atomic rewrite needs new blocks, so the end is written
 * over run.json's own, when the new text fits in what the file already holds on disk (a run.json
 * of ~2 KB sits in a 4 KiB block, and its end adds ~300 bytes). Returns false when it does not fit.
 */
export async function rewriteRunJsonInPlace(runDir: string, info: RunInfoInput): Promise<boolean> {
  const valid = RunInfo.parse(info)
  const text = Buffer.from(JSON.stringify(valid, null, 2) + '\n', 'utf8')
  const path = join(runDir, RUN_JSON)
  assertWritableFile(path)
  const handle = await open(path, 'r+')
  try {
    const stats = await handle.stat()
    if (text.length > stats.blocks * 512) return false
    await handle.write(text, 0, text.length, 0)
    await handle.truncate(text.length)
    await handle.sync()
    return true
  } finally {
    await handle.close()
  }
}

/** run.json, validated. Throws UserError when it is missing or damaged. */
export async function readRunJson(runDir: string): Promise<RunInfo> {
  const path = join(runDir, RUN_JSON)
  let text: string
  try {
    // Under the containment rule: a link or a FIFO named run.json is refused, never opened to block.
    text = (await readRegularFile(path, { maxBytes: RUN_JSON_MAX_BYTES })).toString('utf8')
  } catch (error) {
    if (error instanceof UserError && error.code === 'not-found') throw new UserError('not-found', `${path} does not exist.`)
    if (error instanceof UserError) throw error
    throw new UserError('unreadable', `${path} could not be read.`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UserError('invalid-input', `${path} is not valid JSON.`)
  }
  const parsed = RunInfo.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new UserError(
      'invalid-input',
      `${path}: field "${issue.path.join('.')}" is invalid: ${issue.message}.`,
    )
  }
  return parsed.data
}

/** Appends records to metrics.jsonl, one JSON object a line (non-finite numbers become null). */
export async function appendMetrics(
  runDir: string,
  records: MetricsRecord | readonly MetricsRecord[],
): Promise<void> {
  const list = Array.isArray(records) ? records : [records as MetricsRecord]
  if (list.length === 0) return
  const lines = list.map((record) => {
    const line = JSON.stringify(record)
    MetricsRecord.parse(JSON.parse(line))
    return line + '\n'
  })
  // A failed append (a full disk) is cut back to where it began: the file never ends in a torn line.
  const handle = await open(join(runDir, METRICS_JSONL), 'a')
  try {
    const before = (await handle.stat()).size
    try {
      await handle.appendFile(lines.join(''), 'utf8')
    } catch (error) {
      await handle.truncate(before).catch(() => undefined)
      throw error
    }
  } finally {
    await handle.close()
  }
}

/** metrics.jsonl; lines that do not parse (a line torn by a crash) are skipped and counted. */
export async function readMetrics(
  runDir: string,
): Promise<{ records: MetricsRecord[]; skippedLines: number }> {
  let text: string
  try {
    text = await readFile(join(runDir, METRICS_JSONL), 'utf8')
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return { records: [], skippedLines: 0 }
    throw error
  }
  const records: MetricsRecord[] = []
  let skippedLines = 0
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const parsed = MetricsRecord.safeParse(JSON.parse(line))
      if (parsed.success) records.push(parsed.data)
      else skippedLines++
    } catch {
      skippedLines++
    }
  }
  return { records, skippedLines }
}

export interface RetentionResult {
  kept: string[]
  removed: string[]
}

/**
 * Deletes step checkpoints except the `keep` newest readable ones and the one with the lowest
 * validation loss. final_model and files that cannot be read are never deleted.
 */
export async function applyRetention(
  runDir: string,
  options: { keep: number },
): Promise<RetentionResult> {
  if (!Number.isSafeInteger(options.keep) || options.keep < 0)
    throw new Error(`keep must be a whole number ≥ 0, not ${options.keep}.`)
  const steps: Array<{ path: string; step: number; valLoss: number | null }> = []
  const kept: string[] = []
  for (const file of (await readdir(runDir)).sort()) {
    const kind = classifyCheckpointFile(file)
    if (!kind) continue
    const path = join(runDir, file)
    // A link is not this run's checkpoint: never read through it, never counted, never deleted.
    const isLink = await lstat(path).then(
      (info) => info.isSymbolicLink(),
      () => false,
    )
    if (kind.kind !== 'step' || isLink) {
      kept.push(path)
      continue
    }
    try {
      const info = await readCheckpointInfo(path)
      steps.push({ path, step: kind.step!, valLoss: valLossAtStep(info.metadata.losses, info.metadata.step) })
    } catch {
      kept.push(path)
    }
  }
  steps.sort((a, b) => b.step - a.step)
  const keepPaths = new Set(steps.slice(0, options.keep).map((s) => s.path))
  const best = bestByValLoss(steps)
  if (best) keepPaths.add(best.path)
  const removed: string[] = []
  for (const checkpoint of steps) {
    if (keepPaths.has(checkpoint.path)) {
      kept.push(checkpoint.path)
      continue
    }
    await rm(checkpoint.path, { force: true })
    removed.push(checkpoint.path)
  }
  return { kept: kept.sort(), removed: removed.sort() }
}

/** Lowest validation loss; on a tie the later step (the list is newest first). */
function bestByValLoss<T extends { valLoss: number | null }>(items: readonly T[]): T | undefined {
  let best: T | undefined
  for (const item of items) {
    if (item.valLoss === null || !Number.isFinite(item.valLoss)) continue
    if (!best || item.valLoss < best.valLoss!) best = item
  }
  return best
}

/** Removes one checkpoint file. Only `.safetensors` files can be removed this way. */
export async function deleteCheckpoint(path: string): Promise<void> {
  if (!path.endsWith(CHECKPOINT_EXTENSION)) {
    throw new UserError(
      'invalid-input',
      `${path} is not a checkpoint file (.safetensors); nothing was deleted.`,
    )
  }
  try {
    await rm(path)
  } catch (error) {
    if (isErrno(error, 'ENOENT'))
      throw new UserError('not-found', `Checkpoint ${path} does not exist.`)
    throw error
  }
}

export interface ListOptions {
  /** Read every checkpoint whole and check its tensor hash and weights, not only its header. */
  verify?: boolean
}

async function describeCheckpoint(
  runDir: string,
  file: string,
  kind: CheckpointKind,
  step: number | null,
  options: ListOptions = {},
): Promise<CheckpointEntry> {
  const path = join(runDir, file)
  const base = { file, path, kind, best: false }
  let info: CheckpointInfo
  let verified: string[] | undefined
  try {
    info = await readCheckpointInfo(path)
    if (options.verify) {
      const verdict = await verifyCheckpoint(path)
      if (verdict.status === 'corrupt') throw new CorruptCheckpointError(path, verdict.problem)
      verified = verdict.checks
    }
  } catch (error) {
    const sizeBytes = await stat(path).then(
      (s) => s.size,
      () => 0,
    )
    const problem =
      error instanceof CorruptCheckpointError
        ? error.problem
        : error instanceof Error
          ? error.message
          : String(error)
    return {
      ...base,
      sizeBytes,
      status: 'corrupt',
      problem,
      step,
      epoch: null,
      trainLoss: null,
      valLoss: null,
      created: null,
    }
  }
  const { metadata } = info
  return {
    ...base,
    sizeBytes: info.sizeBytes,
    status: 'ok',
    step: metadata.step,
    epoch: metadata.epoch,
    // The mean over the last steps (older checkpoints: the last step's loss).
    trainLoss: metadata.losses.trainMean ?? metadata.losses.train,
    valLoss: valLossAtStep(metadata.losses, metadata.step),
    created: metadata.created,
    ...(verified ? { verified } : {}),
  }
}

const KIND_ORDER: Record<CheckpointKind, number> = { step: 0, other: 1, final: 2 }

/** One run folder: run.json (if readable) and every checkpoint file, steps in order, final last. */
export async function describeRun(runDir: string, options: ListOptions = {}): Promise<RunEntry> {
  const path = resolve(runDir)
  await removeStaleTempFiles(path) // left by a write that was killed
  const files = await readdir(path)
  let info: RunInfo | null = null
  let problem: string | undefined
  const runJsonIsLink = await lstat(join(path, RUN_JSON)).then(
    (entry) => entry.isSymbolicLink(),
    () => false,
  )
  if (runJsonIsLink) {
    problem = `${join(path, RUN_JSON)} is a symbolic link; it was not read.`
  } else if (files.includes(RUN_JSON)) {
    try {
      info = await readRunJson(path)
    } catch (error) {
      problem = (error as Error).message
    }
  } else if (files.includes(RUN_LOCK_FILE)) {
    problem = `${path} has no run.json: its run was stopped while it started.`
  }
  const checkpoints: CheckpointEntry[] = []
  for (const file of files) {
    const kind = classifyCheckpointFile(file)
    if (!kind) continue
    // lstat: a link is not a checkpoint of this folder and is not followed.
    const isFile = await lstat(join(path, file)).then(
      (s) => s.isFile(),
      () => false,
    )
    if (isFile)
      checkpoints.push(await describeCheckpoint(path, file, kind.kind, kind.step, options))
  }
  checkpoints.sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      (a.step ?? 0) - (b.step ?? 0) ||
      a.file.localeCompare(b.file),
  )
  const best = bestByValLoss(checkpoints.filter((c) => c.status === 'ok').reverse())
  if (best) best.best = true
  const created = info?.created ?? checkpoints.map((c) => c.created).find((c) => c !== null) ?? null
  return {
    name: basename(path),
    path,
    info,
    ...(problem ? { problem } : {}),
    created,
    checkpoints,
  }
}

/** The writer lock's file (runs/lock.ts): a folder holding only it is a run killed while starting. */
const RUN_LOCK_FILE = 'run.lock'

async function isRunFolder(path: string): Promise<boolean> {
  const files = await readdir(path).catch(() => [] as string[])
  // run.lock too: a run killed during its first run.json write is listed (interrupted), never invisible.
  return files.some((file) => file === RUN_JSON || file === RUN_LOCK_FILE || classifyCheckpointFile(file) !== null)
}

/**
 * Every run under `checkpointDir` (each subfolder with run.json or checkpoint files, and the folder
 * itself when it is a run folder), oldest first.
 */
export async function listRuns(
  checkpointDir: string,
  options: ListOptions = {},
): Promise<RunListing> {
  const dir = resolve(checkpointDir)
  let isDirectory: boolean
  try {
    isDirectory = (await stat(dir)).isDirectory()
  } catch (error) {
    if (isErrno(error, 'ENOENT'))
      throw new UserError('not-found', `Checkpoint folder ${dir} does not exist.`)
    throw new UserError('unreadable', `Checkpoint folder ${dir} could not be read.`)
  }
  if (!isDirectory) throw new UserError('not-a-folder', `${dir} is not a folder.`)
  const candidates = [dir]
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) candidates.push(join(dir, entry.name))
  }
  const runs: RunEntry[] = []
  for (const candidate of candidates) {
    if (await isRunFolder(candidate)) runs.push(await describeRun(candidate, options))
  }
  runs.sort(
    (a, b) => (a.created ?? '').localeCompare(b.created ?? '') || a.name.localeCompare(b.name),
  )
  return { dir, runs }
}

/**
 * Removes what killed writes left in every run folder under `checkpointDir` (see atomic-write.ts:
 * only files whose writing process is gone). Links are not followed; a missing folder is fine.
 */
export async function removeStaleTempFilesUnder(checkpointDir: string): Promise<void> {
  const dir = resolve(checkpointDir)
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  await removeStaleTempFiles(dir)
  for (const entry of entries) {
    if (entry.isDirectory()) await removeStaleTempFiles(join(dir, entry.name))
  }
}
