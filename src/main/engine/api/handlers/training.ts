import { resolve } from 'node:path'
import { UserError } from '../../../../shared/errors'
import type { RunConfigInput } from '../../../../shared/training'
import { createSession, type TrainingSession } from '../../session'
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
export function createTrainingHandlers(context: EngineContext): {
  handlers: TrainingHandlers
  shutdown(): Promise<void>
  /** A run holds the spheres (preparing, training, paused or stopping). */
  isTraining(): boolean
} {
  let active: { session: TrainingSession; folder: string; done: Promise<unknown> } | undefined

  function running(runId: string): TrainingSession {
    if (!active || active.session.runId !== runId) {
      throw new UserError('not-found', 'That training run is not running any more.')
    }
    return active.session
  }

  const handlers: TrainingHandlers = {
    'training.start': async ({ folder, config, resume, force, initFrom }) => {
      if (active)
        throw new UserError('busy', 'A training run is already in progress. Stop it first.')
      const absolute = checkReadable(context, folder)
      const corpus = context.corpus.current
      const session = await createSession({
        folder: absolute,
        config: withCheckpointDir(config, context.options.checkpointDir),
        resume: resume === undefined ? undefined : checkResumePath(context, resume),
        force,
        initFrom: initFrom === undefined ? undefined : checkModelSource(context, initFrom),
        // Files are read once: reuse the scan when it is of this folder.
        corpus: corpus && resolve(corpus.summary.root) === absolute ? corpus : undefined,
      })
      const release = () => {
        if (active?.session === session) active = undefined
      }
      const unsubscribe = session.on((message) => {
        // A UI that hears "finished" may start the next run at once: free the slot first.
        if (message.event === 'training.finished') release()
        context.events.emit(message.event, message.payload)
      })
      const done = session.run().finally(() => {
        unsubscribe()
        release()
      })
      active = { session, folder: absolute, done }
      return { runId: session.runId }
    },
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

  return {
    handlers,
    isTraining: () => active !== undefined,
    shutdown: async () => {
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
