/** Desktop conventions driven by real engine events through the event hub, against the fake electron. */
import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => import('./fake-electron'))

const fake = await import('./fake-electron')
const { followRuns } = await import('../../../src/main/desktop')
const { EventHub } = await import('../../../src/main/engine/api/event-hub')

const at = '2026-01-01T00:00:00.000Z'
function setup() {
  fake.resetFakeElectron()
  const events = new EventHub()
  const window = new fake.BrowserWindow({})
  const openRun = vi.fn()
  const stop = followRuns({ events, getWindow: () => window as never, appName: 'CLLM Studio', openRun })
  const state = (state: 'preparing' | 'training' | 'paused' | 'stopping' | 'done' | 'failed', step = 0) =>
    events.emit('training.state', { runId: 'run-1', state, step, at })
  const progress = (step: number, totalSteps: number) =>
    events.emit('training.progress', { runId: 'run-1', step, totalSteps } as never)
  const finished = (fields: Record<string, unknown>) =>
    events.emit('training.finished', {
      runId: 'run-1', state: 'done', reason: 'completed', step: 100, checkpoint: '/runs/run-1/final_model.safetensors',
      trainLoss: 2.5, valLoss: 2.75, sample: null, durationSec: 60, ...fields,
    } as never)
  const awake = () => [...fake.powerSaveBlocker.started.values()]
  return { events, window, openRun, stop, state, progress, finished, awake }
}

describe('keeping the computer awake', () => {
  beforeEach(() => fake.resetFakeElectron())

  it('takes one prevent-app-suspension blocker while preparing and training, releases it on pause, takes it again on resume', () => {
    const { state, awake } = setup()
    expect(awake()).toEqual([])
    state('preparing')
    state('training')
    expect(awake()).toEqual(['prevent-app-suspension'])
    expect(fake.powerSaveBlocker.history.filter((entry) => entry.action === 'start')).toHaveLength(1)
    state('paused', 59)
    expect(awake()).toEqual([])
    state('training', 59)
    expect(awake()).toEqual(['prevent-app-suspension'])
  })

  it('releases it when the run is stopped, ends or fails, and when following stops', () => {
    for (const end of ['stopping', 'done', 'failed'] as const) {
      const { state, awake } = setup()
      state('training')
      state(end, 10)
      expect(awake(), end).toEqual([])
    }
    const { state, awake, finished, stop } = setup()
    state('training')
    finished({ state: 'failed', reason: 'failed', message: 'Sphere 2 failed: out of memory' })
    expect(awake()).toEqual([])
    state('training')
    stop()
    expect(awake()).toEqual([])
  })
})

describe('taskbar progress', () => {
  it('shows the run’s fraction, indeterminate while preparing, paused while paused, and clears at the end', () => {
    const { window, state, progress } = setup()
    state('preparing')
    state('training')
    progress(25, 100)
    progress(50, 100)
    state('paused', 50)
    state('training', 50)
    state('done', 100)
    expect(window.progress).toEqual([
      { value: 2, mode: 'indeterminate' },
      { value: 0, mode: 'normal' },
      { value: 0.25, mode: 'normal' },
      { value: 0.5, mode: 'normal' },
      { value: 0.5, mode: 'paused' },
      { value: 0.5, mode: 'normal' },
      { value: -1 },
    ])
  })

  it('clears on failure, and does nothing once the window is gone', () => {
    const { window, state, progress } = setup()
    state('training')
    progress(3, 10)
    state('failed', 3)
    expect(window.progress.at(-1)).toEqual({ value: -1 })
    window.close()
    const count = window.progress.length
    state('training')
    expect(window.progress).toHaveLength(count)
  })
})

describe('notifications', () => {
  it('says when a run finished, with its steps and loss; clicking it opens that run', () => {
    const { finished, openRun } = setup()
    finished({ runDir: '/runs/run-1' })
    expect(fake.Notification.shown).toHaveLength(1)
    const [notification] = fake.Notification.shown
    expect(notification.options).toEqual({ title: 'Training finished', body: '100 steps, loss 2.750. Click to see the run.' })
    expect(openRun).not.toHaveBeenCalled()
    notification.emit('click')
    expect(openRun).toHaveBeenCalledWith('run-1', '/runs/run-1')
  })

  it('says when a run failed, with the engine’s sentence, and when it was stopped', () => {
    const { finished } = setup()
    finished({ state: 'failed', reason: 'failed', message: 'The corpus folder is gone.', trainLoss: null, valLoss: null })
    finished({ reason: 'stopped', step: 59, valLoss: null, trainLoss: 3 })
    expect(fake.Notification.shown.map((shown) => shown.options)).toEqual([
      { title: 'Training failed', body: 'The corpus folder is gone.' },
      { title: 'Training stopped at step 59', body: '59 steps, loss 3.000. Click to see the run.' },
    ])
  })

  it('shows nothing where the system has no notifications', () => {
    const { finished, awake } = setup()
    fake.Notification.supported = false
    finished({})
    expect(fake.Notification.shown).toEqual([])
    expect(awake()).toEqual([])
  })
})
