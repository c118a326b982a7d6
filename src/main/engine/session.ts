/**
 * One training run: preparing → training ⇄ paused → stopping → done | failed.
 *
 * Preparation loads the corpus (once), creates the run folder and takes its writer lock (a resumed
 * run gets a new folder of its own, recording its parent; the parent's folder is only read), trains
 * or restores the tokenizer, encodes the dataset (or reuses an identical one already encoded) and
 * starts the trainer (the sphere pool). The loop
 * draws window starts from the seeded sampler, follows the LR schedule, measures the validation
 * loss on a fixed set of windows, appends metrics.jsonl, reports progress at most ~10 times a
 * second, and writes checkpoints (periodic, on stop, final_model) with retention.
 *
 * Everything training depends on is in the checkpoint (weights, AdamW moments, step, sampler state,
 * tokenizer), so a resumed run continues exactly as the uninterrupted one would have. When the run
 * ends, its own process records how in run.json and releases the lock; nothing writes to it after.
 */
import { randomUUID } from 'node:crypto'
import { dirname, resolve } from 'node:path'
import { setImmediate as nextTask } from 'node:timers/promises'
import { valLossAtStep, type CheckpointMetadata, type StepLoss } from '../../shared/checkpoint'
import { UserError, type ErrorCode } from '../../shared/errors'
import { countOf } from '../../shared/words'
import {
  GenerateOptions,
  type GenerateOptionsInput,
  type MachineInfo,
  type MetricPoint,
  type PreparePhase,
  type ResolvedRunConfig,
  type RunConfigInput,
  type RunFinished,
  type RunState,
  type RunStateChange,
  type SampleAnswers,
} from '../../shared/training'
import {
  applyRetention,
  checkpointPath,
  createRunDir,
  finalModelPath,
  loadCheckpoint,
  removeStaleTempFiles,
  removeStaleTempFilesUnder,
  saveCheckpoint,
  writeRunJson,
  type Checkpoint,
} from './checkpoints'
import { assertNotLink } from './containment'
import { loadCorpus, type LoadedCorpus } from './corpus'
import { checkCorpusHoldsAWindow, corpusFingerprint, prepareDataset, Sampler, validationStarts, type PreparedDataset } from './dataset'
import type { Trainer } from './model/trainer'
import { describeIssue, readChatData, selectData } from './chat/data'
import { chatTemplateFor, describeChatCounts, recordedChatTemplate } from './chat/model-template'
import { ChatTemplate, type ChatTemplateSource } from './chat/template'
import { heldOutPrompts, sampleAnswersFor } from './chat/sample-answers'
import { adamwOf, checkpointConfig, thisMachine, toModelConfig } from './session/config'
import { TrainingEmitter, type TrainingListener } from './session/events'
import { generateText } from './session/generate'
import { initialState, loadInitialModel, type InitialModel } from './session/init-from'
import { resolveConfig } from './session/resolve-config'
import { MetricsLog, metricsRecord } from './session/metrics-log'
import { recordRunEnd } from './session/run-end'
import { createChildRunDir, preparedDatasets, runDirName } from './session/run-folder'
import { runLength } from './session/run-length'
import { learningRate, type Schedule } from './session/schedule'
import { acquireRunLock, parentRecord, type RunLock } from './runs'
import { RunEnd, ScheduleRecord, type RunParent } from '../../shared/runs'
import { SphereTotals } from './session/sphere-totals'
import { createTrainer, type FaultInjection } from './spheres/pool'
import { parseTokenizer, type Tokenizer } from './tokenizer'

export type { TrainingListener } from './session/events'
type PreparePhaseName = PreparePhase

/** Validation windows measured at every evaluation: a fixed, evenly spaced set. */
export const VALIDATION_WINDOWS = 64
/** Progress events are batched to at most one per this many milliseconds (≤ 10 Hz). */
export const PROGRESS_INTERVAL_MS = 100
/** The loop lets the event loop run (stop, pause, IPC) at least this often. */
const YIELD_INTERVAL_MS = 20
/** Losses kept in each checkpoint's metadata. */
const RECENT_LOSSES = 50
/** Steps the summarised training loss is the mean of (the per-step values stay in metrics.jsonl). */
export const TRAIN_LOSS_WINDOW = 100

export interface SessionOptions {
  /** The corpus folder. */
  folder: string
  /** What the caller set; everything else comes from the defaults (or from the resumed checkpoint). */
  config?: RunConfigInput
  /**
   * A checkpoint file to resume from. The run continues in a new run folder (in the checkpoint
   * folder given in `config.paths`, else beside the parent run) and never writes the parent's.
   */
  resume?: string
  /**
   * Start a new run from this model instead of random weights: a Hugging Face GPT-2 folder or a
   * checkpoint file. Its shape and tokenizer are kept (see session/init-from.ts).
   */
  initFrom?: string
  /** Resume even though the corpus changed since the checkpoint (the change is reported as a warning). */
  force?: boolean
  /** The corpus, when the caller has already loaded this folder (files are read once). */
  corpus?: LoadedCorpus
  /** Read links that lead outside the folder (the CLI's --follow-links); off by default. */
  followLinks?: boolean
  /** Text generated at the end of a completed run; false for none. */
  sample?: GenerateOptionsInput | false
  /** Stop (with a checkpoint) once this step is done, as if stop() had been called then. */
  stopAtStep?: number
  machine?: MachineInfo
  /** Test hooks passed to the trainer. */
  kernels?: 'wasm' | 'reference'
  fault?: FaultInjection
  /** Test hook: the clock (ms) that paces progress events; performance.now unless a test steps it. */
  progressClock?: () => number
}

interface Prepared {
  runDir: string
  dataset: PreparedDataset
  tokenizer: Tokenizer
  tokenizerText: string
  trainer: Trainer
  sampler: Sampler
  valStarts: number[]
  fingerprint: string
  startStep: number
  totalSteps: number
  stepsPerEpoch: number
  schedule: Schedule
  warnings: string[]
  /** Where the run's history continues from (null for a new run). */
  parent: RunParent | null
  /** Chat data: the model's answers to a few held-out prompts (greedy), at each evaluation. */
  sampleAnswers?: () => Promise<SampleAnswers['samples']>
}

/**
 * Checks the config (and the checkpoint to resume) before any work starts: an impossible config or
 * a damaged checkpoint is refused here with a UserError naming the field or the file.
 */
export async function createSession(options: SessionOptions): Promise<TrainingSession> {
  const machine = options.machine ?? thisMachine()
  if (options.resume !== undefined && options.initFrom !== undefined) {
    throw new UserError('invalid-config', 'Resume a run or start from a model (--init-from), not both.')
  }
  if (options.initFrom !== undefined) {
    const initial = await loadInitialModel(options.initFrom)
    return new TrainingSession(options, resolveConfig(options.config, { from: 'model', initial }, machine), null, initial)
  }
  if (options.resume === undefined) {
    const config = resolveConfig(options.config, { from: 'scratch' }, machine)
    await removeStaleTempFilesUnder(config.paths.checkpointDir) // left by writes that were killed
    return new TrainingSession(options, config, null)
  }
  const path = resolve(options.resume)
  assertNotLink(path) // the resumed run writes beside it: never through a link
  await removeStaleTempFiles(dirname(path)) // left by a write that was killed
  const checkpoint = await loadCheckpoint(path)
  const { metadata } = checkpoint
  const start = { from: 'checkpoint', path, config: metadata.config, tokenizerKind: metadata.tokenizerKind } as const
  const config = resolveConfig(options.config, start, machine)
  await removeStaleTempFilesUnder(config.paths.checkpointDir)
  return new TrainingSession({ ...options, resume: path }, config, checkpoint)
}

export class TrainingSession {
  readonly runId = randomUUID()
  private readonly emitter = new TrainingEmitter()
  private current: RunState = 'preparing'
  private currentStep = 0
  private started = false
  private stopRequested = false
  /** The run folder this session created (a new run's or a resumed run's child). */
  createdRunDir: string | undefined
  private pauseRequested = false
  private wakeUp: (() => void) | null = null
  /** Callers of whenParked() waiting for the loop to rest. */
  private readonly parkWaiters: Array<() => void> = []
  private readonly abort = new AbortController()
  private trainer: Trainer | null = null
  /** The run folder's writer lock, held from the folder's creation to the end recorded in run.json. */
  private lock: RunLock | null = null
  private runDir: string | null = null
  private readonly startedAt = new Date().toISOString()
  /** Wall time of the loop, split: steps, evaluation, checkpoint writing (ms). */
  private readonly timing = { trainMs: 0, evalMs: 0, checkpointMs: 0, tokens: 0, trainLossWindow: 0 }
  /** Chat data: the template the run renders conversations with (recorded in run.json and checkpoints). */
  private chat: ChatTemplateSource | undefined

  constructor(
    private readonly options: SessionOptions,
    /** The validated config; vocabSize is corrected to the tokenizer's once it is known. */
    public config: ResolvedRunConfig,
    private readonly checkpoint: Checkpoint | null,
    /** The model a fine-tuning run starts from (`initFrom`), else null. */
    private readonly initial: InitialModel | null = null,
  ) {}

  get state(): RunState {
    return this.current
  }

  get step(): number {
    return this.currentStep
  }

  /** The run folder this session writes (null until preparation has created it). */
  get folder(): string | null {
    return this.runDir
  }

  on(listener: TrainingListener): () => void {
    return this.emitter.on(listener)
  }

  /** Pause between two steps. Ignored unless the run is preparing or training. */
  pause(): void {
    if (this.current !== 'preparing' && this.current !== 'training') return
    this.pauseRequested = true
    if (this.current === 'training') this.setState('paused')
  }

  /**
   * Resolves once the loop rests between steps after pause(): the step in flight has finished and
   * been reported, and no step runs until resume() or stop(). At once when it rests already.
   */
  whenParked(): Promise<void> {
    if (this.wakeUp) return Promise.resolve()
    return new Promise((parked) => this.parkWaiters.push(parked))
  }

  resume(): void {
    if (!this.pauseRequested) return
    this.pauseRequested = false
    if (this.current === 'paused') this.setState('training')
    this.wake()
  }

  /** Ends the run after the step in progress, writing a checkpoint first. Preparation is cancelled. */
  stop(): void {
    if (this.stopRequested || this.current === 'done' || this.current === 'failed') return
    this.stopRequested = true
    this.abort.abort()
    if (this.current === 'training' || this.current === 'paused') this.setState('stopping')
    this.wake()
  }

  /** Runs the whole session once. Resolves when it is over, also when it failed (see `state`). */
  async run(): Promise<RunFinished> {
    if (this.started) throw new Error('A training session runs once.')
    this.started = true
    const began = performance.now()
    this.setState('preparing')
    let prepared: Prepared | undefined
    let checkpointWritten: string | null = null
    const losses: RunLosses = { train: null, val: null, valStep: null }
    try {
      prepared = await this.prepare()
      const outcome = await this.train(prepared, losses, (path) => (checkpointWritten = path))
      const sample =
        outcome === 'completed' && this.options.sample !== false
          ? await this.generateSample(prepared)
          : null
      await this.closeTrainer()
      await this.recordEnd(outcome, losses)
      return this.finish('done', outcome, began, checkpointWritten, losses, sample)
    } catch (error) {
      await this.closeTrainer()
      if (error instanceof UserError && error.code === 'cancelled' && this.stopRequested) {
        await this.recordEnd('stopped', losses)
        return this.finish('done', 'stopped', began, checkpointWritten, losses, null)
      }
      const message = error instanceof Error ? error.message : String(error)
      const code = error instanceof UserError ? error.code : 'internal'
      await this.recordEnd('failed', losses, message)
      return this.finish('failed', 'failed', began, checkpointWritten, losses, null, message, code)
    }
  }

  // ── preparation ───────────────────────────────────────────────────────────────────────────────

  private async prepare(): Promise<Prepared> {
    const { options } = this
    const signal = this.abort.signal
    const warnings: string[] = []
    const checkpointDir = resolve(this.config.paths.checkpointDir)

    const corpus =
      options.corpus ??
      (await loadCorpus(
        { folder: options.folder, excludeDir: checkpointDir, followLinks: options.followLinks },
        {
          signal,
          onProgress: (p) =>
            this.prepareEvent('corpus', `Reading ${p.currentPath || options.folder} (${countOf(p.filesAccepted, 'file')})`),
        },
      ))
    const corpusTotals = { files: corpus.summary.totals.files, bytes: corpus.summary.totals.bytes }
    this.prepareEvent(
      'corpus',
      `Corpus: ${countOf(corpus.summary.totals.files, 'file')}, ${countOf(corpus.summary.totals.bytes, 'byte')}`,
      1,
      true,
      corpusTotals,
    )
    const selection = selectData(
      corpus.documents.filter((document) => document.text.length > 0),
      this.config.training.data,
    )
    const documents = selection.documents
    const fingerprint = corpusFingerprint(documents)
    if (selection.kind === 'chat') {
      this.chat = chatTemplateFor(this.checkpoint?.metadata.config, this.initial)
      const issues = readChatData(documents).summary.issues
      if (issues.length > 0) {
        // Bad lines are left out of training, and each is said, never dropped in silence.
        warnings.push(`${issues.length} line(s) of the chat data were left out: ${issues.slice(0, 5).map(describeIssue).join('; ')}${issues.length > 5 ? '; …' : ''}`)
      }
    } else {
      // A model that came with a template keeps it through training on text, for chat and export.
      this.chat = recordedChatTemplate(this.checkpoint?.metadata.config) ?? this.initial?.chat
    }

    let tokenizerSpec: Tokenizer | { kind: 'bpe' | 'word'; vocabSize: number }
    let runDir: string
    const resumed = this.checkpoint
    // A corpus too small for one window is refused before a run folder exists (no failed run left behind).
    await checkCorpusHoldsAWindow(
      documents,
      resumed
        ? parseTokenizer(resumed.metadata.tokenizer, `${options.resume}`)
        : this.initial
          ? parseTokenizer(this.initial.tokenizer, this.initial.source)
          : { kind: this.config.training.tokenizer, vocabSize: this.config.model.vocabSize },
      this.config.model.seqLen,
    )
    if (resumed) {
      const { metadata } = resumed
      if (metadata.corpusFingerprint !== fingerprint) {
        const change = `The corpus in ${options.folder} is not the one checkpoint ${options.resume} was trained on (files were added, removed or edited)`
        if (!options.force) {
          throw new UserError('invalid-input', `${change}. Resume with --force to continue on the changed corpus.`)
        }
        warnings.push(`${change}; continuing because of --force.`)
      }
      tokenizerSpec = parseTokenizer(metadata.tokenizer, `${options.resume}`)
      runDir = await createChildRunDir(options.resume!, metadata.step, options.config?.paths)
      this.createdRunDir = runDir
      // The child's config names the child's folder, not its parent's.
      this.config = { ...this.config, paths: { ...this.config.paths, runName: runDirName(runDir) } }
    } else {
      tokenizerSpec = this.initial
        ? parseTokenizer(this.initial.tokenizer, this.initial.source)
        : { kind: this.config.training.tokenizer, vocabSize: this.config.model.vocabSize }
      runDir = await createRunDir(checkpointDir, this.config.paths.runName)
      this.createdRunDir = runDir
    }
    this.lock = await acquireRunLock(runDir)
    this.runDir = runDir
    const parent = resumed ? await parentRecord(options.resume!, resumed.metadata.step) : null
    const runJson = (vocabSize: number, kind: string) =>
      writeRunJson(runDir, {
        name: runDirName(runDir),
        created: this.startedAt,
        started: this.startedAt,
        config: this.recordedConfig(),
        corpusFingerprint: fingerprint,
        corpusFolder: resolve(options.folder),
        // What the folder held when the run read it: a resume elsewhere can say what differs.
        corpus: corpusTotals,
        tokenizer: { kind, vocabSize },
        parent,
        pid: process.pid,
        ...(this.initial ? { initFrom: this.initial.source } : {}),
      })
    await runJson(this.config.model.vocabSize, this.config.training.tokenizer)

    this.prepareEvent(
      'tokenizer',
      resumed ? 'Tokenizer restored from the checkpoint' : this.initial ? `Tokenizer of ${this.initial.source}` : 'Training the tokenizer',
    )
    const dataset = await prepareDataset({
      documents,
      tokenizer: tokenizerSpec,
      runDir,
      seqLen: this.config.model.seqLen,
      validationFraction: this.config.training.valFraction,
      splitMethod: this.config.training.split,
      seed: this.config.training.seed,
      threads: this.config.training.threads,
      // Read only: an identical dataset already encoded (the parent run's, or a prepared one).
      reuseFrom: resumed ? [dirname(options.resume!)] : await preparedDatasets(checkpointDir),
      ...(this.chat && selection.kind === 'chat' ? { chat: { template: this.chat, lossOn: this.config.training.lossOn } } : {}),
      signal,
      onProgress: (p) =>
        this.prepareEvent(
          p.phase === 'train' ? 'tokenizer' : 'dataset',
          p.phase === 'train' ? 'Training the tokenizer' : 'Encoding the corpus',
          p.total > 0 ? Math.min(1, p.done / p.total) : undefined,
        ),
    })
    const tokenizer = dataset.tokenizer
    this.prepareEvent(
      'dataset',
      `${dataset.summary.totalTokens.toLocaleString('en-US')} tokens (training ${dataset.summary.trainTokens.toLocaleString('en-US')}, validation ${dataset.summary.valTokens.toLocaleString('en-US')})${dataset.reused ? ', from the cache' : ''}`,
      1,
      true,
    )
    if (dataset.summary.chat) this.prepareEvent('dataset', describeChatCounts(dataset.summary.chat), 1, true)
    if (tokenizer.vocabSize !== this.config.model.vocabSize) {
      if (resumed || this.initial) {
        throw new UserError(
          'corrupt-checkpoint',
          `Checkpoint ${options.resume} holds a tokenizer of ${tokenizer.vocabSize} tokens for a model of ${this.config.model.vocabSize}.`,
        )
      }
      warnings.push(
        `The corpus gave a vocabulary of ${tokenizer.vocabSize} tokens, fewer than the ${this.config.model.vocabSize} asked for; the model uses ${tokenizer.vocabSize}.`,
      )
      this.config = { ...this.config, model: { ...this.config.model, vocabSize: tokenizer.vocabSize } }
    }
    if (dataset.split.overlapping) {
      warnings.push('The corpus is too small for a separate validation set: validation overlaps training.')
    }

    await runJson(tokenizer.vocabSize, tokenizer.kind)

    this.checkStopped()
    this.prepareEvent('model', `Starting ${this.config.training.threads} sphere(s)`)
    const { training } = this.config
    const trainer = await createTrainer({
      model: toModelConfig(this.config.model),
      adamw: adamwOf(this.config),
      batchSize: training.batchSize,
      threads: training.threads,
      seed: training.seed,
      ...(options.kernels ? { kernels: options.kernels } : {}),
      ...(options.fault ? { fault: options.fault } : {}),
    })
    this.trainer = trainer

    const samplerConfig = {
      range: dataset.split.train,
      seqLen: this.config.model.seqLen,
      batchSize: training.batchSize,
      seed: training.seed,
      ...(dataset.windowStride ? { stride: dataset.windowStride } : {}),
    }
    let sampler = new Sampler(samplerConfig)
    let startStep = 0
    if (resumed) {
      this.prepareEvent('checkpoint', `Restoring step ${resumed.metadata.step} from ${options.resume}`)
      await trainer.restoreState(resumed.state)
      // The windows drawn so far, applied to this run's batch size (which may have changed).
      sampler = new Sampler(samplerConfig, samplerDrawn(resumed.metadata.sampler))
      startStep = resumed.metadata.step
    } else if (this.initial) {
      this.prepareEvent('checkpoint', `Starting from the weights of ${this.initial.source}`)
      await trainer.restoreState(initialState(this.initial))
    }
    this.checkStopped()

    const stepsPerEpoch = sampler.stepsPerEpoch
    const { totalSteps, schedule, warnings: lengthWarnings } = runLength(training, stepsPerEpoch, startStep, resumed, options.resume)
    warnings.push(...lengthWarnings)
    return {
      runDir,
      dataset,
      tokenizer,
      tokenizerText: tokenizer.serialize(),
      trainer,
      sampler,
      valStarts: validationStarts(dataset.split.validation, this.config.model.seqLen, VALIDATION_WINDOWS, dataset.windowStride),
      fingerprint,
      startStep,
      totalSteps,
      stepsPerEpoch,
      schedule,
      warnings,
      parent,
      ...(dataset.manifest.chat && this.chat
        ? { sampleAnswers: sampleAnswersFor(trainer, tokenizer, new ChatTemplate(this.chat), this.config.model.seqLen, heldOutPrompts(corpus.documents, dataset.manifest)) }
        : {}),
    }
  }

  // ── the loop ──────────────────────────────────────────────────────────────────────────────────

  private async train(
    p: Prepared,
    losses: RunLosses,
    onCheckpoint: (path: string) => void,
  ): Promise<'completed' | 'stopped'> {
    const { trainer, sampler, dataset, runDir, totalSteps, stepsPerEpoch } = p
    const { training } = this.config
    const tokens = dataset.tokens
    const recentTrain: StepLoss[] = [...(this.checkpoint?.metadata.losses.recentTrain ?? [])]
    const recentVal: StepLoss[] = [...(this.checkpoint?.metadata.losses.recentVal ?? [])]
    losses.val = this.checkpoint?.metadata.losses.val ?? null
    losses.valStep = this.checkpoint ? (valLossAtStep(this.checkpoint.metadata.losses, this.checkpoint.metadata.step) === null ? null : this.checkpoint.metadata.step) : null
    // The summarised training loss: the mean of the last TRAIN_LOSS_WINDOW steps (this run's history).
    const window: number[] = recentTrain.map((entry) => entry.loss).filter((x): x is number => x !== null)
    const meanTrain = (): number | null => (window.length > 0 ? window.reduce((a, b) => a + b, 0) / window.length : null)
    losses.train = this.checkpoint ? (this.checkpoint.metadata.losses.trainMean ?? this.checkpoint.metadata.losses.train) : null
    let step = p.startStep
    this.currentStep = step

    const evaluate = async (): Promise<number> => {
      const evalStart = performance.now()
      const value = p.valStarts.length > 0 ? await trainer.evaluate(tokens, p.valStarts, dataset.mask, dataset.positions) : NaN
      this.timing.evalMs += performance.now() - evalStart
      losses.val = Number.isFinite(value) ? value : null
      losses.valStep = step
      recentVal.push({ step, loss: losses.val })
      if (recentVal.length > RECENT_LOSSES) recentVal.shift()
      if (p.sampleAnswers) {
        // Answering held-out prompts is part of evaluating: its time counts there.
        const sampleStart = performance.now()
        const samples = await p.sampleAnswers()
        this.timing.evalMs += performance.now() - sampleStart
        if (samples.length > 0) this.emitter.emit('training.samples', { runId: this.runId, step, samples })
      }
      return value
    }

    const metrics = new MetricsLog(runDir)

    const period = new SphereTotals()
    const epochSpheres = new SphereTotals()
    let points: MetricPoint[] = []
    const progressClock = this.options.progressClock ?? (() => performance.now())
    let lastFlush = progressClock()
    let lastYield = performance.now()
    let periodTokens = 0
    let periodTrainMs = 0
    const loopStart = performance.now()
    let pausedMs = 0
    let epochStart = performance.now()
    let epochLossSum = 0
    let epochSteps = 0
    let epochTokens = 0
    let epochTrainMs = 0
    let lastPoint: MetricPoint | null = null
    let lastLoss = NaN
    const lastLossOrNull = (): number | null => (Number.isFinite(lastLoss) ? lastLoss : (this.checkpoint?.metadata.losses.train ?? null))
    let lastLr = 0
    let tokensPerSec = 0

    const saveAt = async (kind: 'periodic' | 'stop' | 'final'): Promise<void> => {
      flush(performance.now())
      const saveStart = performance.now()
      const path = kind === 'final' ? finalModelPath(runDir) : checkpointPath(runDir, step)
      const metadata: CheckpointMetadata = {
        // The schedule travels with the weights, so a resumed extension keeps its rate.
        config: { ...this.recordedConfig(), schedule: ScheduleRecord.parse(p.schedule) },
        tokenizerKind: p.tokenizer.kind,
        tokenizer: p.tokenizerText,
        step,
        epoch: sampler.epochProgress,
        sampler: sampler.state() as unknown as CheckpointMetadata['sampler'],
        // The loop draws random numbers only through the sampler, whose state is (seed, windows drawn).
        rng: { seed: training.seed, windowsDrawn: sampler.state().drawn },
        losses: { train: lastLossOrNull(), val: losses.val, recentTrain, recentVal, trainMean: meanTrain(), trainWindow: window.length },
        created: new Date().toISOString(),
        corpusFingerprint: p.fingerprint,
      }
      await saveCheckpoint(path, { metadata, state: await trainer.snapshotState() })
      onCheckpoint(path)
      const removed = kind === 'final' ? [] : (await applyRetention(runDir, { keep: training.keep })).removed
      this.timing.checkpointMs += performance.now() - saveStart
      this.emitter.emit('training.checkpoint', {
        runId: this.runId,
        path,
        step,
        kind,
        valLoss: losses.val,
        removed,
      })
    }

    const initialValLoss = step === 0 && p.valStarts.length > 0 ? await evaluate() : null
    if (initialValLoss !== null) {
      metrics.write([metricsRecord({ step: 0, epoch: 0, loss: NaN, lr: 0, gradNorm: 0, tokens: 0, valLoss: initialValLoss }, 0)])
    }
    this.emitter.emit('training.started', {
      runId: this.runId,
      runDir,
      config: this.config,
      parameters: trainer.paramCount,
      startStep: step,
      totalSteps,
      stepsPerEpoch,
      trainTokens: dataset.summary.trainTokens,
      split: dataset.summary.split,
      valTokens: dataset.summary.valTokens,
      ...(dataset.summary.chat ? { chat: dataset.summary.chat } : {}),
      tokenizer: { kind: p.tokenizer.kind, vocabSize: p.tokenizer.vocabSize },
      corpusFingerprint: p.fingerprint,
      resumedFrom: this.options.resume ?? null,
      initFrom: this.initial?.source ?? null,
      initialValLoss,
      warnings: p.warnings,
    })
    if (this.stopRequested) {
      this.setState('stopping')
    } else {
      this.setState(this.pauseRequested ? 'paused' : 'training')
    }

    const flush = (now: number): void => {
      if (points.length === 0) return
      // Training steps' own time: evaluation and checkpoint writing are reported apart (RunFinished).
      const elapsed = periodTrainMs / 1000
      if (elapsed > 0 && periodTokens > 0) tokensPerSec = periodTokens / elapsed
      const done = step - p.startStep
      const activeSec = (now - loopStart - pausedMs) / 1000
      const etaSec = done > 0 ? ((totalSteps - step) * activeSec) / done : 0
      metrics.write(points.map((point) => metricsRecord(point, tokensPerSec)))
      this.emitter.emit('training.progress', {
        runId: this.runId,
        step,
        totalSteps,
        epoch: Math.min(Math.floor(Math.max(0, step - 1) / stepsPerEpoch), epochsOf(totalSteps, stepsPerEpoch) - 1),
        epochs: epochsOf(totalSteps, stepsPerEpoch),
        loss: lastLoss,
        valLoss: losses.val,
        lr: lastLr,
        tokensPerSec,
        etaSec,
        elapsedSec: activeSec,
        points,
        spheres: period.snapshot(),
      })
      points = []
      period.reset()
      periodTokens = 0
      periodTrainMs = 0
      lastFlush = progressClock()
    }

    let outcome: 'completed' | 'stopped' = 'completed'
    try {
      while (step < totalSteps) {
        if (this.pauseRequested && !this.stopRequested) {
          flush(performance.now())
          const pausedAt = performance.now()
          const woken = new Promise<void>((wake) => (this.wakeUp = wake))
          for (const parked of this.parkWaiters.splice(0)) parked()
          await woken
          pausedMs += performance.now() - pausedAt
          lastFlush = progressClock()
        }
        if (this.stopRequested) {
          outcome = 'stopped'
          break
        }
        metrics.check()
        const epoch = Math.floor(step / stepsPerEpoch)
        const starts = sampler.nextStarts()
        const lr = learningRate(p.schedule, step)
        const stepStart = performance.now()
        const result = await trainer.step(tokens, starts, lr, dataset.mask, dataset.positions)
        const stepMs = performance.now() - stepStart
        this.timing.trainMs += stepMs
        periodTrainMs += stepMs
        epochTrainMs += stepMs
        this.timing.tokens += result.tokens
        step++
        this.currentStep = step
        if (!Number.isFinite(result.loss)) {
          throw new UserError(
            'internal',
            `Training diverged at step ${step} (the loss is ${result.loss}); ${divergenceAdvice(training)}`,
          )
        }
        lastLoss = result.loss
        lastLr = lr
        window.push(result.loss)
        if (window.length > TRAIN_LOSS_WINDOW) window.shift()
        losses.train = meanTrain()
        this.timing.trainLossWindow = window.length
        recentTrain.push({ step, loss: result.loss })
        if (recentTrain.length > RECENT_LOSSES) recentTrain.shift()
        period.add(result.spheres, result.wallMs)
        epochSpheres.add(result.spheres, result.wallMs)
        periodTokens += result.tokens
        epochLossSum += result.loss
        epochSteps++
        epochTokens += result.tokens

        const endOfEpoch = step % stepsPerEpoch === 0 || step === totalSteps
        const point: MetricPoint = {
          step,
          epoch,
          loss: result.loss,
          lr,
          gradNorm: result.gradNorm,
          tokens: result.tokens,
        }
        const checkpointDue = training.checkpointInterval > 0 && step % training.checkpointInterval === 0 && step < totalSteps
        // A checkpoint carries a validation loss of its own step, so one is measured there too.
        if (step % training.evalInterval === 0 || endOfEpoch || checkpointDue) point.valLoss = await evaluate()
        points.push(point)
        lastPoint = point

        if (endOfEpoch) {
          const now = performance.now()
          flush(now) // progress up to this step goes out first, so events stay in step order
          const seconds = (now - epochStart) / 1000
          this.emitter.emit('training.epoch', {
            runId: this.runId,
            epoch,
            step,
            meanLoss: epochLossSum / epochSteps,
            valLoss: losses.val,
            durationSec: seconds,
            // The one definition of tok/s: tokens over the training steps' own time.
            tokensPerSec: epochTrainMs > 0 ? (epochTokens * 1000) / epochTrainMs : 0,
            spheres: epochSpheres.snapshot(),
          })
          epochSpheres.reset()
          epochStart = now
          epochLossSum = 0
          epochSteps = 0
          epochTokens = 0
          epochTrainMs = 0
        }
        if (checkpointDue) {
          await saveAt('periodic')
        }
        if (this.options.stopAtStep !== undefined && step >= this.options.stopAtStep && step < totalSteps) {
          this.stop()
        }
        const now = performance.now()
        if (progressClock() - lastFlush >= PROGRESS_INTERVAL_MS) flush(now)
        if (now - lastYield >= YIELD_INTERVAL_MS) {
          await nextTask()
          lastYield = performance.now()
        }
      }
      if (step >= totalSteps && !this.stopRequested) outcome = 'completed'
      flush(performance.now())
      if (outcome === 'stopped') {
        // The stop checkpoint's validation loss is measured at its step, not taken from an earlier one.
        if (losses.valStep !== step && p.valStarts.length > 0) {
          const valLoss = await evaluate()
          const pending = points.at(-1)
          if (pending?.step === step) pending.valLoss = valLoss
          // Already written: the step's line again, with its validation loss (the last line of a step wins).
          else if (lastPoint?.step === step) metrics.write([metricsRecord({ ...lastPoint, valLoss }, tokensPerSec)])
        }
        await saveAt('stop')
      } else {
        await saveAt('final')
      }
    } finally {
      // After a failure, the steps not yet reported still go to metrics.jsonl.
      if (points.length > 0) metrics.write(points.map((point) => metricsRecord(point, tokensPerSec)))
      await metrics.settled()
    }
    metrics.check()
    return outcome
  }

  // ── the end ───────────────────────────────────────────────────────────────────────────────────

  /** The config a run records: the run's settings, and its chat template when it trains on chat data. */
  private recordedConfig(): CheckpointMetadata['config'] {
    return { ...checkpointConfig(this.config), ...(this.chat ? { chat: this.chat } : {}) }
  }

  private async generateSample(p: Prepared): Promise<string | null> {
    const options = GenerateOptions.parse({
      maxTokens: 200,
      temperature: 0.8,
      topK: 40,
      seed: this.config.training.seed,
      ...(this.options.sample || {}),
    })
    const result = await generateText(p.trainer, p.tokenizer, options)
    return options.prompt + result.text
  }

  private async closeTrainer(): Promise<void> {
    const trainer = this.trainer
    this.trainer = null
    if (trainer) await trainer.close().catch(() => undefined)
  }

  private finish(
    state: 'done' | 'failed',
    reason: 'completed' | 'stopped' | 'failed',
    began: number,
    checkpoint: string | null,
    losses: RunLosses,
    sample: string | null,
    message?: string,
    code?: ErrorCode,
  ): RunFinished {
    this.setState(state, reason, message)
    const finished: RunFinished = {
      runId: this.runId,
      state,
      reason,
      ...(message !== undefined ? { message } : {}),
      ...(code !== undefined ? { code } : {}),
      step: this.currentStep,
      checkpoint,
      trainLoss: losses.train,
      ...(this.timing.trainLossWindow > 0 ? { trainLossWindow: this.timing.trainLossWindow } : {}),
      valLoss: losses.val,
      valLossStep: losses.val === null ? null : losses.valStep,
      sample,
      durationSec: (performance.now() - began) / 1000,
      ...this.speed(),
      runDir: this.runDir,
    }
    this.emitter.emit('training.finished', finished)
    return finished
  }

  /** Training tokens per second over the steps' wall time; evaluation and checkpoint time apart. */
  private speed(): { tokensPerSec: number; trainSec: number; evalSec: number; checkpointSec: number } {
    const { trainMs, evalMs, checkpointMs, tokens } = this.timing
    return {
      tokensPerSec: trainMs > 0 ? (tokens * 1000) / trainMs : 0,
      trainSec: trainMs / 1000,
      evalSec: evalMs / 1000,
      checkpointSec: checkpointMs / 1000,
    }
  }

  /** The run's own end, in its run.json; then the lock goes. Nothing writes the folder after this. */
  private async recordEnd(reason: RunEnd['reason'], losses: RunLosses, message?: string): Promise<void> {
    const runDir = this.runDir
    const lock = this.lock
    this.lock = null
    if (!runDir || !lock) return
    await recordRunEnd(runDir, lock, {
      reason,
      step: this.currentStep,
      at: new Date().toISOString(),
      ...(message !== undefined ? { message } : {}),
      ...this.speed(),
      // The same figures, with the same definitions, as the final line and the model card.
      trainLoss: losses.train,
      ...(this.timing.trainLossWindow > 0 ? { trainLossWindow: this.timing.trainLossWindow } : {}),
      valLoss: losses.val,
      valLossStep: losses.val === null ? null : losses.valStep,
    })
  }

  private setState(state: RunState, reason?: RunStateChange['reason'], message?: string): void {
    if (this.current === state && state !== 'preparing') return
    this.current = state
    this.emitter.emit('training.state', {
      runId: this.runId,
      state,
      ...(reason ? { reason } : {}),
      ...(message !== undefined ? { message } : {}),
      step: this.currentStep,
      at: new Date().toISOString(),
    })
  }

  private lastPrepare = { phase: '', at: 0 }

  /** Preparation progress, throttled like training progress (a new phase or a finished one always goes out). */
  private prepareEvent(
    phase: PreparePhaseName,
    detail: string,
    fraction?: number,
    done = false,
    corpus?: { files: number; bytes: number },
  ): void {
    const now = performance.now()
    const due = phase !== this.lastPrepare.phase || done || now - this.lastPrepare.at >= PROGRESS_INTERVAL_MS
    if (!due) return
    this.lastPrepare = { phase, at: now }
    this.emitter.emit('training.prepare', {
      runId: this.runId,
      phase,
      detail,
      ...(fraction !== undefined ? { fraction } : {}),
      ...(done ? { done } : {}),
      ...(corpus ? { corpus } : {}),
    })
  }

  private checkStopped(): void {
    if (this.stopRequested) throw new UserError('cancelled', 'Training was stopped while it was being prepared.')
  }

  private wake(): void {
    const wake = this.wakeUp
    this.wakeUp = null
    wake?.()
  }
}

/** What to change after a divergence: never a clip that is already set. */
export function divergenceAdvice(training: { learningRate: number; gradClip: number }): string {
  return training.gradClip > 0
    ? `lower --learning-rate (now ${training.learningRate}; gradients are already clipped at --grad-clip ${training.gradClip}).`
    : `lower --learning-rate (now ${training.learningRate}) or set --grad-clip (e.g. 1).`
}

/** The run's summarised losses: training as the mean of the last steps, validation with the step it was measured at. */
interface RunLosses {
  train: number | null
  val: number | null
  valStep: number | null
}

function epochsOf(totalSteps: number, stepsPerEpoch: number): number {
  return Math.max(1, Math.ceil(totalSteps / stepsPerEpoch))
}

function samplerDrawn(state: unknown): number {
  const drawn = (state as { drawn?: unknown } | null)?.drawn
  if (typeof drawn !== 'number' || !Number.isSafeInteger(drawn) || drawn < 0) {
    throw new UserError('corrupt-checkpoint', 'The checkpoint has no usable sampler state (windows drawn).')
  }
  return drawn
}
