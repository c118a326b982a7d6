/**
 * The numbers behind the Runs view's charts and Compare: a run's whole history turned into series
 * over step, tokens seen or wall time, EMA smoothing as TensorBoard does it (debiased, so the curve
 * starts at the first value instead of at zero), and the config table that can keep only the fields
 * in which the compared runs differ.
 */
import type { HistoryRecord, RunHistory } from '../../shared/runs'
import type { XY } from './run-series'

export type XAxis = 'step' | 'tokens' | 'time'
export type Metric = 'loss' | 'val_loss' | 'lr' | 'grad_norm' | 'tokens_per_s'

export const METRICS: Array<{ id: Metric; label: string }> = [
  { id: 'loss', label: 'Training loss' },
  { id: 'val_loss', label: 'Validation loss' },
  { id: 'tokens_per_s', label: 'Tokens per second' },
  { id: 'lr', label: 'Learning rate' },
  { id: 'grad_norm', label: 'Gradient norm' },
]

export const X_AXES: Array<{ id: XAxis; label: string }> = [
  { id: 'step', label: 'Step' },
  { id: 'tokens', label: 'Tokens' },
  { id: 'time', label: 'Wall time (s)' },
]

function value(record: HistoryRecord, metric: Metric): number | null {
  const v = (record as Record<string, unknown>)[metric]
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/**
 * One metric of a history as points. Wall time counts each run of the lineage from its own first
 * record, so the time a run sat finished before it was resumed is not drawn as training.
 */
export function historySeries(history: RunHistory, metric: Metric, x: XAxis): XY[] {
  const points: XY[] = []
  let offset = 0
  let segmentRun: string | null = null
  let segmentStart = 0
  let last = 0
  for (const record of history.records) {
    const y = value(record, metric)
    const t = Date.parse(record.time) / 1000
    if (record.run !== segmentRun) {
      if (segmentRun !== null) offset = last
      segmentRun = record.run
      segmentStart = t
    }
    last = offset + (t - segmentStart)
    if (y === null) continue
    const xs = x === 'step' ? record.step : x === 'tokens' ? record.step * (history.tokensPerStep ?? 0) : last
    points.push({ x: xs, y })
  }
  return points
}

/** Exponential moving average with TensorBoard's debiasing; weight 0 returns the points as they are. */
export function smooth(points: readonly XY[], weight: number): XY[] {
  if (weight <= 0) return points.map((p) => ({ ...p }))
  let average = 0
  let debias = 0
  return points.map((point, i) => {
    average = average * weight + (1 - weight) * point.y
    debias = i === 0 ? 1 - weight : debias * weight + (1 - weight)
    return { x: point.x, y: average / debias }
  })
}

/** A nested config as `training.learningRate` → value rows. */
export function flattenConfig(config: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    if (prefix) out[prefix] = config === undefined ? '—' : JSON.stringify(config)
    return out
  }
  for (const [key, v] of Object.entries(config as Record<string, unknown>)) {
    Object.assign(out, flattenConfig(v, prefix ? `${prefix}.${key}` : key))
  }
  return out
}

/** Fields that are run bookkeeping rather than a choice of the experiment. */
const BOOKKEEPING = /^(paths\.|training\.threads$|schedule\.)/

/** Rows of the compare table: every field, or only those whose values differ between the runs. */
export function configRows(configs: readonly unknown[], onlyDifferences: boolean): Array<{ field: string; values: string[] }> {
  const flat = configs.map((config) => flattenConfig(config))
  const fields = [...new Set(flat.flatMap((f) => Object.keys(f)))].filter((f) => !BOOKKEEPING.test(f)).sort()
  return fields
    .map((field) => ({ field, values: flat.map((f) => f[field] ?? '—') }))
    .filter((row) => !onlyDifferences || new Set(row.values).size > 1)
}
