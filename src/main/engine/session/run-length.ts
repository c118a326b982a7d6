/**
 * How long a run trains and at what learning rate: its total steps (from --max-steps or the epochs),
 * the schedule over them, and what the user should be told about either.
 */
import { basename } from 'node:path'
import { UserError } from '../../../shared/errors'
import { ScheduleRecord } from '../../../shared/runs'
import { warmupSteps, type TrainingSection } from '../../../shared/training'
import { classifyCheckpointFile, type Checkpoint } from '../checkpoints'
import { learningRate, type Schedule } from './schedule'

export interface RunLength {
  totalSteps: number
  schedule: Schedule
  /** Nothing left to train, or a finished run extended at its last rate. */
  warnings: string[]
}

/** A warmup as long as the run is refused; a run already past its total is said, not trained. */
export function runLength(
  training: TrainingSection,
  stepsPerEpoch: number,
  startStep: number,
  resumed: Checkpoint | null,
  resume: string | undefined,
): RunLength {
  const warnings: string[] = []
  const totalSteps = training.maxSteps ?? training.epochs * stepsPerEpoch
  if (training.warmup !== undefined && training.warmup >= totalSteps && startStep < totalSteps) {
    throw new UserError(
      'invalid-config',
      `training.warmup: ${training.warmup} steps of warm-up are not fewer than the run's ${totalSteps} steps; the learning rate would never reach its peak.`,
    )
  }
  if (startStep >= totalSteps) {
    warnings.push(
      `The checkpoint is already at step ${startStep}, and this run's total is ${totalSteps}: nothing to train. Raise --max-steps or --epochs to train more.`,
    )
  }
  const schedule = scheduleFor(
    { peak: training.learningRate, warmup: warmupSteps(training, totalSteps), totalSteps },
    resumed,
    resume,
    startStep,
  )
  if (schedule.hold && startStep < totalSteps) {
    warnings.push(
      `Extending a finished run: steps ${startStep + 1}–${totalSteps} keep the learning rate its last step had (${schedule.hold.rate.toExponential(2)}).`,
    )
  }
  return { totalSteps, schedule, warnings }
}

/**
 * The learning-rate schedule of a run. A new run, or a resume within its run's planned total:
 * warmup and cosine over this run's total. Extending a run past the total it was planned for (the
 * checkpoint's recorded schedule, or a final_model from before schedules were recorded): the extra
 * steps hold the rate of its last step, so the rate never jumps back up the cosine.
 */
function scheduleFor(base: Schedule, resumed: Checkpoint | null, resume: string | undefined, startStep: number): Schedule {
  if (!resumed || startStep === 0) return base
  const stored = ScheduleRecord.safeParse((resumed.metadata.config as { schedule?: unknown }).schedule)
  let parentSchedule: Schedule | null = stored.success ? stored.data : null
  if (!parentSchedule && resume !== undefined && classifyCheckpointFile(basename(resume))?.kind === 'final') {
    const training = (resumed.metadata.config as { training?: { learningRate?: number; warmup?: number } }).training ?? {}
    parentSchedule = {
      peak: training.learningRate ?? base.peak,
      warmup: warmupSteps({ warmup: training.warmup }, startStep),
      totalSteps: startStep,
    }
  }
  if (!parentSchedule) return base
  if (parentSchedule.hold && startStep >= parentSchedule.hold.from) return { ...base, hold: parentSchedule.hold }
  if (startStep >= parentSchedule.totalSteps) {
    return { ...base, hold: { from: startStep, rate: learningRate(parentSchedule, startStep - 1) } }
  }
  return base
}
