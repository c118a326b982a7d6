/**
 * The hand-off in a run's history: the part trained here and the part trained elsewhere (a run
 * imported from a job's train.py), so that a chart can draw the two in one colour but apart (the
 * part elsewhere dashed and labelled) and mark the step where the run changed machines.
 */
import type { RunHistory, TrainedOn } from '../../shared/runs'
import { historySeries, type Metric, type XAxis } from './run-compare'
import type { XY } from './run-series'

/** "trained elsewhere (8 × cuda on gpu-node-7)", or without the brackets when its trainer did not say. */
export function elsewhereLabel(trainedOn: TrainedOn | undefined): string {
  const device = trainedOn?.device && trainedOn.worldSize && trainedOn.worldSize > 1 ? `${trainedOn.worldSize} × ${trainedOn.device}` : trainedOn?.device
  const where = [device, trainedOn?.host].filter(Boolean).join(' on ')
  return where ? `trained elsewhere (${where})` : 'trained elsewhere'
}

/** Whether a history has any part trained elsewhere. */
export function hasElsewhere(history: RunHistory): boolean {
  return history.segments.some((segment) => segment.elsewhere !== undefined)
}

function placeOf(history: RunHistory): Map<string, TrainedOn | null> {
  return new Map(history.segments.map((s) => [s.runDir, s.elsewhere ? (s.elsewhere.trainedOn ?? {}) : null]))
}

export interface PlacedPoints {
  /** null: trained here. */
  elsewhere: TrainedOn | null
  points: XY[]
}

/**
 * `points` (one metric of the history, as historySeries drew it, smoothed or not) cut where the
 * place changes. Each part after a hand-off starts at the last point before it, so the line
 * continues across the hand-off.
 */
export function splitByPlace(history: RunHistory, metric: Metric, points: readonly XY[]): PlacedPoints[] {
  const place = placeOf(history)
  const drawn = history.records.filter((r) => {
    const v = (r as Record<string, unknown>)[metric]
    return typeof v === 'number' && Number.isFinite(v)
  })
  const parts: PlacedPoints[] = []
  drawn.forEach((record, i) => {
    const elsewhere = place.get(record.run) ?? null
    const last = parts.at(-1)
    if (!last || (last.elsewhere === null) !== (elsewhere === null)) {
      parts.push({ elsewhere, points: last ? [last.points.at(-1)!] : [] })
    }
    parts.at(-1)!.points.push(points[i])
  })
  return parts
}

/** A vertical marker at each step where the run changed machines, in the x axis's units. */
export function handoffMarkers(history: RunHistory, x: XAxis): Array<{ x: number; label: string }> {
  const place = placeOf(history)
  // lr is in every record, so this gives every record's x.
  const xs = historySeries(history, 'lr', x)
  const markers: Array<{ x: number; label: string }> = []
  let previous: TrainedOn | null | undefined
  history.records.forEach((record, i) => {
    const here = place.get(record.run) ?? null
    // The parent is not here (its history is missing): the curve starts at the hand-off itself.
    const segment = history.segments.find((s) => s.runDir === record.run)
    if (previous === undefined && here !== null && segment && segment.fromStep > 0) {
      markers.push({ x: xs[i]?.x ?? 0, label: `hand-off at step ${segment.fromStep}` })
    }
    if (previous !== undefined && (previous === null) !== (here === null)) {
      const at = xs[Math.max(0, i - 1)]?.x ?? xs[i]?.x ?? 0
      const step = history.records[Math.max(0, i - 1)].step
      markers.push({ x: at, label: here === null ? `back here at step ${step}` : `hand-off at step ${step}` })
    }
    previous = here
  })
  return markers
}
