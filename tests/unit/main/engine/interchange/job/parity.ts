/**
 * What the job parity tests compare between a run of the studio and one of train.py: losses step by
 * step, weights and AdamW moments tensor by tensor, and the studio resuming a checkpoint.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { loadCheckpoint } from '../../../../../../src/main/engine/checkpoints'
import { createSession } from '../../../../../../src/main/engine/session'
import type { MetricsRecord } from '../../../../../../src/shared/checkpoint'
import type { RunFinished } from '../../../../../../src/shared/training'
import type { Workspace } from '../../session/fixtures'

export function metricsRecords(runDir: string): MetricsRecord[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as MetricsRecord)
}

export function metricsByStep(runDir: string): Map<number, MetricsRecord> {
  return new Map(metricsRecords(runDir).map((r) => [r.step, r]))
}

export const steps = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** The largest |a − b| of the loss (and validation loss) over the given steps, each recorded by both runs. */
export function lossGap(a: string, b: string, over: number[]): number {
  const [x, y] = [metricsByStep(a), metricsByStep(b)]
  let worst = 0
  for (const step of over) {
    const [r, s] = [x.get(step), y.get(step)]
    expect(r?.loss, `step ${step} in ${a}`).toBeTypeOf('number')
    expect(s?.loss, `step ${step} in ${b}`).toBeTypeOf('number')
    worst = Math.max(worst, Math.abs(r!.loss! - s!.loss!))
    if (r!.val_loss != null || s!.val_loss != null) worst = Math.max(worst, Math.abs(r!.val_loss! - s!.val_loss!))
  }
  return worst
}

/**
 * Largest |Δ| over every weight (and, separately, AdamW moment) of two checkpoints, tensor by tensor
 * in layout order (the names must agree), and the largest |weight| of the first.
 */
export async function weightGap(a: string, b: string): Promise<{ params: number; moments: number; scale: number }> {
  const [x, y] = [(await loadCheckpoint(a)).state, (await loadCheckpoint(b)).state]
  const gap = (p: typeof x.params, q: typeof x.params): number => {
    expect(q.map((t) => t.name)).toEqual(p.map((t) => t.name))
    let worst = 0
    p.forEach((tensor, i) => {
      for (let k = 0; k < tensor.data.length; k++) worst = Math.max(worst, Math.abs(tensor.data[k] - q[i].data[k]))
    })
    return worst
  }
  let scale = 0
  for (const t of x.params) for (const v of t.data) scale = Math.max(scale, Math.abs(v))
  return { params: gap(x.params, y.params), moments: Math.max(gap(x.adamM, y.adamM), gap(x.adamV, y.adamV)), scale }
}

/** The studio resuming `checkpoint` on the workspace's corpus to `maxSteps`, on 2 spheres, as run `runName`. */
export async function studioResume(ws: Workspace, maxSteps: number, checkpoint: string, runName: string): Promise<RunFinished> {
  const session = await createSession({
    folder: ws.corpus,
    resume: checkpoint,
    sample: false,
    config: { training: { maxSteps, threads: 2 }, paths: { checkpointDir: ws.checkpoints, runName } },
  })
  const finished = await session.run()
  expect(finished.state, finished.message).toBe('done')
  return finished
}
