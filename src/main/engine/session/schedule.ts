/**
 * Learning-rate schedule: linear warmup to the peak rate, then cosine decay to a tenth of it at the
 * run's last step. A pure function of the step, so a resumed run follows the same curve.
 */

/** Where the cosine ends, as a share of the peak rate. */
export const MIN_LR_RATIO = 0.1

export interface Schedule {
  peak: number
  warmup: number
  totalSteps: number
  /** Extending a finished run: from this step on, the rate stays at `rate` (its last step's). */
  hold?: { from: number; rate: number }
}

/** Rate for the optimizer step that takes the model from `step` to `step + 1` steps (0-based). */
export function learningRate(schedule: Schedule, step: number): number {
  const { peak, warmup, totalSteps, hold } = schedule
  if (hold && step >= hold.from) return hold.rate
  if (step < warmup) return (peak * (step + 1)) / warmup
  const decaySteps = Math.max(1, totalSteps - warmup - 1)
  const progress = Math.min(1, Math.max(0, (step - warmup) / decaySteps))
  const min = peak * MIN_LR_RATIO
  return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress))
}
