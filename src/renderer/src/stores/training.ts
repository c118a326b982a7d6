import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef, watch } from 'vue'
import type { ApiError } from '../../../shared/errors'
import type {
  CheckpointSaved,
  EpochSummary,
  PreparePhase,
  RunConfigInput,
  RunFinished,
  RunStarted,
  SampleAnswers,
  RunState,
  SphereStatsPayload,
  TrainingProgress,
} from '../../../shared/training'
import { useApi } from '../api'
import { formatLoss } from '../format'
import { RunSeries } from '../run-series'
import { useAppStore } from './app'
import { useToastStore } from './toasts'

export interface PhaseView {
  phase: PreparePhase
  detail: string
  /** 0..1 when the engine knows how far along the phase is. */
  fraction: number | null
  done: boolean
}

export interface LogEntry {
  id: number
  at: Date
  text: string
  tone: 'info' | 'success' | 'danger'
}

export interface StartRequest {
  folder: string
  config: RunConfigInput
  resume?: string
  force?: boolean
  /** A Hugging Face GPT-2 folder or a checkpoint to fine-tune. */
  initFrom?: string
}

const ACTIVE: readonly RunState[] = ['preparing', 'training', 'paused', 'stopping']
const fileName = (path: string) => path.split(/[\\/]/).pop() ?? path

/**
 * The run the engine holds, as the Train view shows it: lifecycle, preparation phases, the latest
 * figures, the chart series and a log. It follows the engine's events whichever page started the
 * run, and re-attaches with `training.status` when the page (re)connects.
 */
export const useTrainingStore = defineStore('training', () => {
  const api = useApi()
  const app = useAppStore()
  const toasts = useToastStore()

  const runId = ref<string | null>(null)
  const state = ref<RunState | null>(null)
  const folder = ref<string | null>(null)
  /** What the run's folder held when the run read it (its corpus phase), for the corpus bar. */
  const corpusTotals = shallowRef<{ files: number; bytes: number } | null>(null)
  const phases = ref<PhaseView[]>([])
  const started = shallowRef<RunStarted | null>(null)
  /** Chat runs: the answers to held-out prompts at the latest evaluation. */
  const samples = shallowRef<SampleAnswers | null>(null)
  const progress = shallowRef<TrainingProgress | null>(null)
  const finished = shallowRef<RunFinished | null>(null)
  const saved = ref<CheckpointSaved[]>([])
  const epochs = shallowRef<EpochSummary[]>([])
  const log = ref<LogEntry[]>([])
  /** A start or control request the engine refused. */
  const error = ref<ApiError | null>(null)
  const starting = ref(false)
  /** Step reported by training.status when this page attached to a run already going. */
  const attachedStep = ref<number | null>(null)
  /** The config of a run this page attached to (its started event was before the page loaded). */
  const attachedConfig = shallowRef<RunStarted['config'] | null>(null)
  /** The config of the run shown: its own, never the form's. */
  const runConfig = computed(() => started.value?.config ?? attachedConfig.value)
  const series = shallowRef(markRaw(new RunSeries()))
  /** Bumped whenever `series` grows, so charts redraw without watching the arrays. */
  const seriesVersion = ref(0)
  let lastRequest: StartRequest | null = null
  let logId = 0

  const active = computed(() => state.value !== null && ACTIVE.includes(state.value))
  const step = computed(
    () => progress.value?.step ?? started.value?.startStep ?? attachedStep.value ?? 0,
  )
  const totalSteps = computed(() => progress.value?.totalSteps ?? started.value?.totalSteps ?? null)
  const spheres = computed<SphereStatsPayload[]>(() => {
    if (progress.value && progress.value.spheres.length > 0) return progress.value.spheres
    const threads = started.value?.config.training.threads ?? 0
    return Array.from({ length: threads }, (_, id) => idleSphere(id))
  })
  /** The failure of a resume on a changed corpus can be overridden by resuming anyway. */
  const canForce = computed(
    () =>
      finished.value?.state === 'failed' &&
      lastRequest?.resume !== undefined &&
      !lastRequest.force &&
      /--force/.test(finished.value.message ?? ''),
  )

  function note(text: string, tone: LogEntry['tone'] = 'info'): void {
    log.value = [...log.value, { id: ++logId, at: new Date(), text, tone }].slice(-200)
  }

  /** Events of another run than the one shown mean a new run began (the engine runs one at a time). */
  function follow(id: string): void {
    if (id === runId.value) return
    runId.value = id
    state.value = null
    // The run this page is starting trains on its request's folder; any other (the queue's next,
    // another page's) is asked for.
    folder.value = starting.value ? (lastRequest?.folder ?? null) : null
    if (!starting.value) void learnFolder(id)
    phases.value = []
    corpusTotals.value = null
    started.value = null
    progress.value = null
    finished.value = null
    saved.value = []
    epochs.value = []
    samples.value = null
    log.value = []
    error.value = null
    attachedStep.value = null
    attachedConfig.value = null
    series.value = markRaw(new RunSeries())
    seriesVersion.value++
  }

  async function learnFolder(id: string): Promise<void> {
    const result = await api.call('training.status', {})
    if (result.ok && result.value.run?.runId === id && runId.value === id) folder.value = result.value.run.folder
  }

  /**
   * The log line of a pause: the engine reports the pause at once, then finishes the step in
   * flight, so the line follows the step the run really stopped after (the cards show the same).
   */
  let pauseNote: number | null = null

  api.on('training.state', (payload) => {
    follow(payload.runId)
    const before = state.value
    state.value = payload.state
    pauseNote = null
    if (payload.state === 'paused') {
      note(`Paused at step ${Math.max(payload.step, progress.value?.step ?? 0)}`)
      pauseNote = logId
    }
    else if (payload.state === 'training' && before === 'paused')
      note(`Resumed at step ${payload.step}`)
    else if (payload.state === 'stopping') note('Stopping: saving a checkpoint first…')
  })

  api.on('training.prepare', (payload) => {
    follow(payload.runId)
    const list = phases.value
    let entry = list.find((candidate) => candidate.phase === payload.phase)
    if (!entry) {
      // A new phase begins: the ones before it are over.
      for (const earlier of list) earlier.done = true
      list.push({ phase: payload.phase, detail: payload.detail, fraction: null, done: false })
      // The reactive copy, so the changes below are seen.
      entry = list[list.length - 1]
    }
    entry.detail = payload.detail
    entry.fraction = payload.fraction ?? entry.fraction
    if (payload.done) entry.done = true
    if (payload.corpus) corpusTotals.value = payload.corpus
  })

  api.on('training.started', (payload) => {
    follow(payload.runId)
    started.value = payload
    for (const phase of phases.value) phase.done = true
    series.value.addInitialValLoss(payload.startStep, payload.initialValLoss)
    seriesVersion.value++
    const { training } = payload.config
    note(
      payload.resumedFrom
        ? `Resumed ${fileName(payload.resumedFrom)} at step ${payload.startStep}; training to step ${payload.totalSteps} on ${training.threads} sphere${training.threads === 1 ? '' : 's'}`
        : `Training ${payload.totalSteps} steps on ${training.threads} sphere${training.threads === 1 ? '' : 's'}`,
    )
    for (const warning of payload.warnings) note(warning, 'danger')
  })

  api.on('training.progress', (payload) => {
    follow(payload.runId)
    progress.value = payload
    if (pauseNote !== null && state.value === 'paused') {
      const id = pauseNote
      log.value = log.value.map((entry) => (entry.id === id ? { ...entry, text: `Paused at step ${payload.step}` } : entry))
    }
    series.value.add(payload)
    seriesVersion.value++
  })

  api.on('training.samples', (payload) => {
    follow(payload.runId)
    samples.value = payload
  })

  api.on('training.epoch', (payload) => {
    follow(payload.runId)
    epochs.value = [...epochs.value, payload]
    note(
      `Epoch ${payload.epoch + 1} done: mean loss over the epoch ${formatLoss(payload.meanLoss)}, validation loss ${formatLoss(payload.valLoss)} at step ${payload.step}, ${Math.round(payload.tokensPerSec).toLocaleString('en-US')} tok/s over its training steps`,
    )
  })

  api.on('training.checkpoint', (payload) => {
    follow(payload.runId)
    saved.value = [...saved.value, payload]
    const what = payload.kind === 'final' ? 'Final model saved' : 'Checkpoint saved'
    const detail = `Step ${payload.step}${payload.valLoss === null ? '' : ` · val loss ${formatLoss(payload.valLoss)}`}`
    note(`${what}: ${fileName(payload.path)} (${detail.toLowerCase()})`, 'success')
    toasts.show(what, { detail, tone: 'success' })
  })

  api.on('training.finished', (payload) => {
    follow(payload.runId)
    finished.value = payload
    state.value = payload.state
    if (payload.state === 'failed') {
      note(`Failed: ${payload.message ?? 'the run stopped with an error.'}`, 'danger')
      toasts.show('Training failed', { detail: payload.message, tone: 'danger' })
    } else if (payload.reason === 'stopped') {
      note(`Stopped at step ${payload.step}`)
      toasts.show('Training stopped', { detail: `Step ${payload.step}` })
    } else {
      note(`Finished: ${payload.step} steps`, 'success')
      toasts.show('Training finished', {
        detail: `Validation loss ${formatLoss(payload.valLoss)}`,
        tone: 'success',
      })
    }
  })

  async function start(request: StartRequest): Promise<boolean> {
    if (active.value || starting.value) return false
    lastRequest = request
    starting.value = true
    error.value = null
    // The last run's result is not this one's: gone at the press, not at the new run's first event.
    finished.value = null
    const result = await api.call('training.start', request)
    starting.value = false
    if (!result.ok) {
      error.value = result.error
      return false
    }
    follow(result.value.runId)
    folder.value = request.folder
    state.value ??= 'preparing'
    return true
  }

  /** Resumes the failed resume again, accepting that the corpus changed since the checkpoint. */
  function startAnyway(): Promise<boolean> {
    if (!lastRequest) return Promise.resolve(false)
    return start({ ...lastRequest, force: true })
  }

  async function control(method: 'training.pause' | 'training.resume' | 'training.stop') {
    if (!runId.value) return
    error.value = null
    const result = await api.call(method, { runId: runId.value })
    if (!result.ok) error.value = result.error
    else if (state.value === null || ACTIVE.includes(state.value)) state.value = result.value.state
  }

  /** Finds the engine's current run: on start-up and after the connection comes back. */
  async function attach(): Promise<void> {
    const result = await api.call('training.status', {})
    if (!result.ok) return
    const run = result.value.run
    if (run) {
      if (run.runId !== runId.value) {
        follow(run.runId)
        note(`Attached to the run in progress at step ${run.step}`)
      }
      state.value = run.state
      folder.value = run.folder
      attachedStep.value = run.step
      attachedConfig.value = run.config ?? null
    } else if (active.value) {
      // The run ended while this page could not hear it.
      state.value = null
      note('The run ended while the page was disconnected; see Runs for what it saved.')
    }
  }

  watch(
    () => app.connection,
    (now, before) => {
      if (now === 'open' && before === 'reconnecting') void attach()
    },
  )

  return {
    runId,
    state,
    folder,
    corpusTotals,
    phases,
    started,
    samples,
    progress,
    finished,
    saved,
    epochs,
    log,
    error,
    starting,
    attachedStep,
    runConfig,
    series,
    seriesVersion,
    active,
    step,
    totalSteps,
    spheres,
    canForce,
    start,
    startAnyway,
    pause: () => control('training.pause'),
    resume: () => control('training.resume'),
    stop: () => control('training.stop'),
    attach,
  }
})

function idleSphere(id: number): SphereStatsPayload {
  return {
    id,
    group: id % 12,
    parent: id < 12 ? -1 : Math.floor(id / 12) - 1,
    state: 'idle',
    busyNs: 0,
    waitNs: 0,
    utilisation: 0,
    tokens: 0,
    batches: 0,
    loss: null,
  }
}
