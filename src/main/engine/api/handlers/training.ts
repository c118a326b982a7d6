import { resolve } from 'node:path'
import { UserError } from '../../../../shared/errors'
import type { RunConfigInput } from '../../../../shared/training'
import { createSession, type TrainingSession } from '../../session'
import type { MethodArgs } from '../../../../shared/contract'
import type { StartedRun } from '../../queue'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkModelSource, checkReadable, checkResumePath } from './access'

type TrainingHandlers = Pick<
  Handlers,
  'training.start' | 'training.pause' | 'training.resume' | 'training.stop' | 'training.status'
>

/**
 * One training run at a time: the spheres use every core, so a second run would only halve both.
 * The session's events go to every connected UI through the event hub.
 */
/** The one slot on the spheres: a run holds it, or other work that needs every core (holdSpheres). */
export interface SphereSlot {
  /** A run holds the spheres (preparing, training, paused or stopping), or one is being started. */
  isTraining(): boolean
  /** Called each time the spheres are freed: a run ended, or a start was refused. */
  onIdle(listener: () => void): () => void
  /**
   * Other work that needs the spheres to itself (a job prepared from settings, a step-time
   * measurement): holds the one slot while it runs, so no run starts beside it, then frees it.
   * `busy` is the refusal when a run (or other such work) holds them already.
   */
  holdSpheres<T>(what: string, busy: string, work: () => Promise<T>): Promise<T>
}

export function createTrainingHandlers(context: EngineContext): SphereSlot & {
  handlers: TrainingHandlers
  /** What `training.start` does, with the run's end as well (for the queue). */
  start(request: MethodArgs<'training.start'>): Promise<StartedRun>
  shutdown(): Promise<void>
} {
  let active: { session: TrainingSession; folder: string; done: Promise<unknown> } | undefined
  /** A start between its checks and its session (loading a checkpoint, a model): settles when it has one or is refused. */
  let claimed: Promise<unknown> | undefined
  /** What holds the slot when it is not a run (holdSpheres), for the refusal of a start. */
  let heldFor: string | undefined
  const idleListeners = new Set<() => void>()

  function idle(): void {
    for (const listener of idleListeners) listener()
  }

  function running(runId: string): TrainingSession {
    if (!active || active.session.runId !== runId) {
      throw new UserError('not-found', 'That training run is not running any more.')
    }
    return active.session
  }

  /**
   * Starts a run: the same checks and the same one slot whether Train was pressed or the queue's
   * turn came. The slot is claimed before the first await, so two starts never both pass.
   */
  async function start({ folder, config, resume, force, initFrom }: MethodArgs<'training.start'>): Promise<StartedRun> {
    if (heldFor !== undefined) throw new UserError('busy', `The spheres are busy ${heldFor}; a run can start when that ends.`)
    if (active || claimed)
      throw new UserError('busy', 'A training run is already in progress. Stop it first.')
    let session: TrainingSession
    let absolute: string
    try {
      absolute = checkReadable(context, folder)
      const corpus = context.corpus.current
      const creating = createSession({
        folder: absolute,
        config: withCheckpointDir(config, context.options.checkpointDir),
        resume: resume === undefined ? undefined : checkResumePath(context, resume),
        force,
        initFrom: initFrom === undefined ? undefined : checkModelSource(context, initFrom),
        // Files are read once: reuse the scan when it is of this folder.
        corpus: corpus && resolve(corpus.summary.root) === absolute ? corpus : undefined,
      })
      claimed = creating
      session = await creating
    } catch (error) {
      // Refused: the slot is free again (a queued run may be waiting for it).
      claimed = undefined
      idle()
      throw error
    }
    claimed = undefined
    const release = () => {
      if (active?.session !== session) return
      active = undefined
      idle()
    }
    const unsubscribe = session.on((message) => {
      // A UI that hears "finished" may start the next run at once: free the slot first.
      if (message.event === 'training.finished') release()
      context.events.emit(message.event, message.payload)
    })
    const finished = session.run().finally(() => {
      unsubscribe()
      release()
    })
    active = { session, folder: absolute, done: finished }
    return { runId: session.runId, finished }
  }

  const handlers: TrainingHandlers = {
    'training.start': async (request) => ({ runId: (await start(request)).runId }),
    'training.pause': async ({ runId }) => {
      const session = running(runId)
      session.pause()
      return { state: session.state }
    },
    'training.resume': async ({ runId }) => {
      const session = running(runId)
      session.resume()
      return { state: session.state }
    },
    'training.stop': async ({ runId }) => {
      const session = running(runId)
      session.stop()
      return { state: session.state }
    },
    'training.status': async () => ({
      run: active
        ? {
            runId: active.session.runId,
            state: active.session.state,
            step: active.session.step,
            folder: active.folder,
            config: active.session.config,
            runDir: active.session.folder,
          }
        : null,
    }),
  }

  async function holdSpheres<T>(what: string, busy: string, work: () => Promise<T>): Promise<T> {
    if (active || claimed) throw new UserError('busy', busy)
    // Claimed before the first await, as a start claims it.
    const working = work()
    claimed = working
    heldFor = what
    try {
      return await working
    } finally {
      claimed = undefined
      heldFor = undefined
      idle()
    }
  }

  return {
    handlers,
    start,
    holdSpheres,
    isTraining: () => active !== undefined || claimed !== undefined,
    onIdle: (listener) => {
      idleListeners.add(listener)
      return () => idleListeners.delete(listener)
    },
    shutdown: async () => {
      // A run being started (a queued one, say) is stopped once it exists.
      await claimed?.catch(() => undefined)
      if (!active) return
      active.session.stop()
      await active.done
    },
  }
}

/** Runs started from the UI are written where the app keeps its checkpoints, whatever was sent. */
function withCheckpointDir(config: unknown, checkpointDir: string): RunConfigInput {
  const given = (typeof config === 'object' && config !== null ? config : {}) as RunConfigInput
  return { ...given, paths: { ...given.paths, checkpointDir } }
}
