/**
 * The session's event stream: a small typed emitter. A listener that throws is reported on stderr
 * once and otherwise ignored, so a faulty UI subscriber cannot end a training run.
 */
import type { TrainingEvent, TrainingEventName, TrainingEventPayload } from '../../../shared/training'

export type TrainingListener = (event: TrainingEvent) => void

export class TrainingEmitter {
  private readonly listeners = new Set<TrainingListener>()

  on(listener: TrainingListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit<E extends TrainingEventName>(event: E, payload: TrainingEventPayload<E>): void {
    const message = { event, payload } as TrainingEvent
    for (const listener of this.listeners) {
      try {
        listener(message)
      } catch (error) {
        process.stderr.write(`A training event listener failed: ${error instanceof Error ? error.message : error}\n`)
      }
    }
  }
}
