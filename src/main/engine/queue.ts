/**
 * A queue of training runs, one after another (the spheres use every core, so runs never overlap).
 * Each run is a session of its own with its own run folder; one that is refused or fails is
 * recorded with its sentence and the next one starts anyway.
 */
import { UserError } from '../../shared/errors'
import type { RunConfigInput } from '../../shared/training'
import { createSession, type SessionOptions, type TrainingSession } from './session'

export interface QueueItem {
  folder: string
  config?: RunConfigInput
  resume?: string
}

export interface QueueResult {
  index: number
  folder: string
  state: 'done' | 'failed'
  reason: 'completed' | 'stopped' | 'failed'
  message?: string
  step: number
  runDir: string | null
}

export interface QueueOptions {
  /** Options every session gets (test hooks, no sample…). */
  session?: Partial<SessionOptions>
  /** Called with each session before it runs (progress printing, stop). */
  onSession?: (session: TrainingSession, index: number) => void
  /** Checked before each run: true ends the queue (the runs not started are skipped). */
  cancelled?: () => boolean
}

export async function runQueue(items: readonly QueueItem[], options: QueueOptions = {}): Promise<QueueResult[]> {
  const results: QueueResult[] = []
  for (const [index, item] of items.entries()) {
    if (options.cancelled?.()) break
    try {
      const session = await createSession({
        folder: item.folder,
        ...(item.config ? { config: item.config } : {}),
        ...(item.resume ? { resume: item.resume } : {}),
        ...options.session,
      })
      options.onSession?.(session, index)
      const finished = await session.run()
      results.push({
        index,
        folder: item.folder,
        state: finished.state,
        reason: finished.reason,
        ...(finished.message !== undefined ? { message: finished.message } : {}),
        step: finished.step,
        runDir: finished.runDir ?? null,
      })
    } catch (error) {
      // Refused before it started (an impossible config, a damaged checkpoint): the queue goes on.
      const message = error instanceof UserError ? error.message : `Run ${index + 1} could not start: ${(error as Error).message}`
      results.push({ index, folder: item.folder, state: 'failed', reason: 'failed', message, step: 0, runDir: null })
    }
  }
  return results
}
