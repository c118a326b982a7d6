/**
 * A run's lineage and whole history. A resumed run records its parent (run folder, checkpoint file,
 * step, SHA-256 of the file); its history is the parent's history up to that step, then its own
 * metrics — each step once, whatever the files hold (an older build appended a resumed run's steps
 * to its parent's file, so a step may appear twice there; the later line wins).
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { MetricsRecord } from '../../../shared/checkpoint'
import { RunImport, type HistoryRecord, type RunHistory, type RunParent } from '../../../shared/runs'
import { readMetrics, readRunJson, RUN_JSON } from '../checkpoints'
import { runFolderOf } from './folder'

/** SHA-256 of a file, streamed (checkpoints can be large). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

export async function parentRecord(checkpoint: string, step: number): Promise<RunParent> {
  const file = resolve(checkpoint)
  const runDir = runFolderOf(file)
  return {
    runDir,
    runName: runDir ? basename(runDir) : null,
    checkpoint: file,
    step,
    sha256: await sha256File(file),
  }
}

/** run.json's parent, when it has one. */
export async function readParent(runDir: string): Promise<RunParent | null> {
  try {
    const info = await readRunJson(runDir)
    const parent = (info as { parent?: unknown }).parent
    return isParent(parent) ? parent : null
  } catch {
    return null
  }
}

function isParent(value: unknown): value is RunParent {
  const v = value as RunParent | null
  return typeof v === 'object' && v !== null && typeof v.step === 'number' && typeof v.checkpoint === 'string'
}

/** run.json's import record, for a run trained elsewhere and brought back (`cllm runs import`). */
export async function readImport(runDir: string): Promise<RunImport | null> {
  try {
    const parsed = RunImport.safeParse((await readRunJson(runDir) as { imported?: unknown }).imported)
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** The parent's folder: where it was recorded, or (moved together) beside this run under its name. */
export function locateParent(runDir: string, parent: RunParent): string | null {
  if (parent.runDir && existsSync(join(parent.runDir, RUN_JSON))) return parent.runDir
  if (parent.runName) {
    const sibling = join(dirname(resolve(runDir)), parent.runName)
    if (existsSync(join(sibling, RUN_JSON))) return sibling
  }
  return null
}

/** One run's own metrics, each step once (the last line of a step wins), in step order. */
export function ownSteps(records: readonly MetricsRecord[]): MetricsRecord[] {
  const byStep = new Map<number, MetricsRecord>()
  for (const record of records) byStep.set(record.step, record)
  return [...byStep.values()].sort((a, b) => a.step - b.step)
}

const MAX_DEPTH = 1000

/**
 * The whole history of a run: its ancestors' metrics up to each resume step, then its own, in step
 * order, each step once. A missing ancestor cuts the history short and says so in `problem`.
 */
export async function runHistory(runDir: string): Promise<RunHistory> {
  const chain: Array<{ dir: string; upTo: number }> = []
  let problem: string | undefined
  let dir: string | null = resolve(runDir)
  let upTo = Number.POSITIVE_INFINITY
  const seen = new Set<string>()
  while (dir && chain.length < MAX_DEPTH && !seen.has(dir)) {
    seen.add(dir)
    chain.push({ dir, upTo })
    const parent = await readParent(dir)
    if (!parent) break
    const found = locateParent(dir, parent)
    if (!found) {
      problem = `The history before step ${parent.step} is missing: the parent run ${parent.runDir ?? parent.checkpoint} is gone.`
      break
    }
    upTo = Math.min(upTo, parent.step)
    dir = found
  }
  chain.reverse()
  const records: HistoryRecord[] = []
  const segments: RunHistory['segments'] = []
  let from = -1
  for (let i = 0; i < chain.length; i++) {
    const { dir: folder, upTo: limit } = chain[i]
    const own = ownSteps((await readMetrics(folder)).records).filter((r) => r.step > from && r.step <= limit)
    for (const record of own) records.push({ ...record, run: folder })
    const last = own.length > 0 ? own[own.length - 1].step : from
    const imported = await readImport(folder)
    segments.push({
      runDir: folder,
      name: basename(folder),
      fromStep: Math.max(0, from),
      toStep: Number.isFinite(limit) ? limit : last,
      ...(imported ? { elsewhere: imported.trainedOn ? { trainedOn: imported.trainedOn } : {} } : {}),
    })
    from = Number.isFinite(limit) ? limit : last
  }
  return { runDir: resolve(runDir), records, segments, ...(problem ? { problem } : {}), tokensPerStep: await tokensPerStep(runDir) }
}

async function tokensPerStep(runDir: string): Promise<number | null> {
  try {
    const { config } = await readRunJson(runDir)
    const batch = (config as { training?: { batchSize?: unknown } }).training?.batchSize
    return typeof batch === 'number' ? batch * config.model.seqLen : null
  } catch {
    return null
  }
}
