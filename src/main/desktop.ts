/**
 * What a desktop user expects from a long-running training tool, driven by the engine's events:
 * the computer does not sleep while a run prepares or trains (released on pause, stop and end),
 * the taskbar / dock icon shows the run's progress, and a system notification says when a run
 * finishes or fails (clicking it brings the window back on that run).
 */
import { Notification, powerSaveBlocker, type BrowserWindow } from 'electron'
import type { EngineEvent } from '../shared/contract'
import type { RunState } from '../shared/training'
import type { EventHub } from './engine/api/event-hub'

export interface RunFollowerOptions {
  events: EventHub
  getWindow: () => BrowserWindow | undefined
  appName: string
  /** A notification was clicked: show the window on this run. */
  openRun: (runId: string, runDir?: string) => void
}

/** States in which the machine must stay awake: the run is doing work the user is waiting for. */
const AWAKE: ReadonlySet<RunState> = new Set(['preparing', 'training'])

/** Starts following runs; returns a function that stops and releases everything. */
export function followRuns(options: RunFollowerOptions): () => void {
  let blocker: number | undefined
  let fraction = 0
  // Notifications are kept referenced until closed, or the garbage collector may drop their click.
  const shown = new Set<Notification>()

  const stayAwake = (awake: boolean): void => {
    if (awake && blocker === undefined) {
      blocker = powerSaveBlocker.start('prevent-app-suspension')
    } else if (!awake && blocker !== undefined) {
      if (powerSaveBlocker.isStarted(blocker)) powerSaveBlocker.stop(blocker)
      blocker = undefined
    }
  }
  const progress = (value: number, mode?: 'normal' | 'paused' | 'indeterminate'): void => {
    const window = options.getWindow()
    if (window && !window.isDestroyed()) window.setProgressBar(value, mode ? { mode } : undefined)
  }

  const onEvent = (message: EngineEvent): void => {
    switch (message.event) {
      case 'training.state': {
        const { state } = message.payload
        stayAwake(AWAKE.has(state))
        if (state === 'preparing') progress(2, 'indeterminate')
        else if (state === 'training') progress(fraction, 'normal')
        else if (state === 'paused') progress(fraction, 'paused')
        else if (state === 'done' || state === 'failed') progress(-1)
        break
      }
      case 'training.progress': {
        fraction = Math.min(1, message.payload.step / message.payload.totalSteps)
        progress(fraction, 'normal')
        break
      }
      case 'training.finished': {
        const run = message.payload
        stayAwake(false)
        progress(-1)
        fraction = 0
        if (!Notification.isSupported()) break
        const title =
          run.state === 'failed'
            ? 'Training failed'
            : run.reason === 'stopped'
              ? `Training stopped at step ${run.step}`
              : 'Training finished'
        const loss = run.valLoss ?? run.trainLoss
        const body =
          run.state === 'failed'
            ? (run.message ?? 'The run stopped with an error.')
            : `${run.step} steps${loss === null ? '' : `, loss ${loss.toFixed(3)}`}. Click to see the run.`
        const notification = new Notification({ title, body })
        shown.add(notification)
        notification.on('click', () => options.openRun(run.runId, run.runDir ?? undefined))
        notification.on('close', () => shown.delete(notification))
        notification.show()
        break
      }
      default:
        break
    }
  }

  const unsubscribe = options.events.subscribe(onEvent)
  return () => {
    unsubscribe()
    stayAwake(false)
    progress(-1)
  }
}
