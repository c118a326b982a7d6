import { existsSync } from 'node:fs'
import type { MethodArgs } from '../../../../shared/contract'
import { UserError } from '../../../../shared/errors'
import type { QueueItem } from '../../../../shared/queue'
import { RunQueue, type QueueEntry, type StartedRun } from '../../queue'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkModelSource, checkReadable, checkResumePath } from './access'

type QueueHandlers = Pick<Handlers, 'queue.add' | 'queue.list' | 'queue.remove'>
type TrainArgs = MethodArgs<'training.start'>

/** What the queue needs of the training handlers: the one slot, and the same start as Train. */
export interface TrainingSlot {
  isTraining(): boolean
  start(request: TrainArgs): Promise<StartedRun>
  onIdle(listener: () => void): () => void
}

/**
 * The app's training queue behind the contract: runs wait in the engine's memory and start through
 * `training.start`'s own path, so a queued run is checked, followed and stopped like any other.
 * Paths are checked when a run is added (a folder the app may not read is refused then) and again
 * when it starts; the config is checked when it starts, and a refusal then fails that run only.
 */
export function createQueueHandlers(context: EngineContext, training: TrainingSlot): {
  handlers: QueueHandlers
  /** Starts nothing more; the run in progress is the training handlers' to stop. */
  close(): void
} {
  const queue = new RunQueue<TrainArgs>(
    { idle: () => !training.isTraining(), start: (request) => training.start(request) },
    (entries) => context.events.emit('queue.changed', { items: entries.map(toItem) }),
  )
  // A run started by hand that ends frees the spheres for the next queued one. On the next turn of
  // the event loop, so the ended run's last events reach the UI first.
  training.onIdle(() => setImmediate(() => queue.advance()))

  const handlers: QueueHandlers = {
    'queue.add': async (request) => {
      // Kept with absolute paths, so the panel names the folder and a later start means the same one.
      const checked: TrainArgs = {
        ...request,
        folder: checkReadable(context, request.folder),
        ...(request.resume !== undefined ? { resume: existing(checkResumePath(context, request.resume), 'Checkpoint') } : {}),
        ...(request.initFrom !== undefined ? { initFrom: existing(checkModelSource(context, request.initFrom), 'Model') } : {}),
      }
      return { item: toItem(queue.add(checked)) }
    },
    'queue.list': async () => ({ items: queue.list().map(toItem) }),
    'queue.remove': async ({ id }) => ({ removed: queue.remove(id).id }),
  }
  return { handlers, close: () => queue.close() }
}

/** A checkpoint or model that is not there now is refused at once rather than when its turn comes. */
function existing(path: string, what: string): string {
  if (!existsSync(path)) throw new UserError('not-found', `${what} ${path} does not exist.`)
  return path
}

function toItem(entry: QueueEntry<TrainArgs>): QueueItem {
  const { request, ...state } = entry
  return {
    ...state,
    folder: request.folder,
    ...(request.config !== undefined ? { config: request.config } : {}),
    ...(request.resume !== undefined ? { resume: request.resume } : {}),
    ...(request.initFrom !== undefined ? { initFrom: request.initFrom } : {}),
  }
}
