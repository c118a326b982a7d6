import { describe, expect, it } from 'vitest'
import type { Checkpoint } from '../../../../../src/main/engine/checkpoints'
import { runLength } from '../../../../../src/main/engine/session/run-length'
import { learningRate } from '../../../../../src/main/engine/session/schedule'
import { TrainingSection } from '../../../../../src/shared/training'

const training = (fields: Partial<TrainingSection> = {}) => TrainingSection.parse({ learningRate: 0.01, ...fields })
/** A checkpoint as far as the run's length reads one: its recorded config. */
const checkpoint = (config: Record<string, unknown>) => ({ metadata: { config } }) as unknown as Checkpoint

describe('runLength', () => {
  it('runs the epochs, or --max-steps when given, with 5% warmup over a cosine', () => {
    expect(runLength(training({ epochs: 3 }), 40, 0, null, undefined)).toEqual({
      totalSteps: 120,
      schedule: { peak: 0.01, warmup: 6, totalSteps: 120 },
      warnings: [],
    })
    expect(runLength(training({ epochs: 3, maxSteps: 50, warmup: 2 }), 40, 0, null, undefined).schedule).toEqual({ peak: 0.01, warmup: 2, totalSteps: 50 })
  })

  it('refuses a warmup as long as the run', () => {
    expect(() => runLength(training({ warmup: 40 }), 40, 0, null, undefined)).toThrow(
      "training.warmup: 40 steps of warm-up are not fewer than the run's 40 steps; the learning rate would never reach its peak.",
    )
  })

  it('says when a resumed checkpoint has nothing left to train', () => {
    const parent = checkpoint({ schedule: { peak: 0.01, warmup: 5, totalSteps: 100 } })
    const { warnings } = runLength(training({ maxSteps: 100 }), 40, 100, parent, 'run/checkpoint_step_100.safetensors')
    expect(warnings).toEqual([expect.stringMatching(/^The checkpoint is already at step 100, and this run's total is 100: nothing to train/)])
  })

  it('extends a finished run at the rate of its last step, never back up the cosine', () => {
    const planned = { peak: 0.01, warmup: 5, totalSteps: 100 }
    const { schedule, warnings } = runLength(training({ maxSteps: 150 }), 40, 100, checkpoint({ schedule: planned }), 'run/final_model.safetensors')
    expect(schedule).toEqual({ peak: 0.01, warmup: 7, totalSteps: 150, hold: { from: 100, rate: learningRate(planned, 99) } })
    expect(warnings).toEqual([expect.stringMatching(/^Extending a finished run: steps 101–150 keep the learning rate its last step had/)])
    // A final_model from before schedules were recorded: its own settings say where it ended.
    const old = runLength(training({ maxSteps: 150 }), 40, 100, checkpoint({ training: { learningRate: 0.02 } }), 'run/final_model.safetensors')
    expect(old.schedule.hold).toEqual({ from: 100, rate: learningRate({ peak: 0.02, warmup: 5, totalSteps: 100 }, 99) })
    // A resume within the planned total follows this run's schedule.
    expect(runLength(training({ maxSteps: 150 }), 40, 50, checkpoint({ schedule: planned }), 'run/checkpoint_step_50.safetensors').schedule.hold).toBeUndefined()
  })
})
