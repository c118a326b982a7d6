/**
 * The one API between the UI and the engine: every method (request → response) and every event
 * (engine → UI), each with a runtime schema. Types are inferred from the schemas, so a payload is
 * validated and typed from the same source. Every transport (Electron IPC, WebSocket, the engine
 * host's MessagePort) carries exactly this contract through one dispatcher.
 */
import { z } from 'zod'
import { ChatMessage, DataKindChoice, LossOn } from './chat'
import { ScanProgress, ScanSummary } from './corpus'
import { RunListing } from './checkpoint'
import type { ApiError, Result } from './errors'
import {
  DatasetSummary,
  SplitMethod,
  TokenizeProgress,
  TokenizerKind,
  TokenPreview,
  VOCAB_LIMITS,
} from './tokenizer'
import { ArchitectureName, EvaluationResult, GenerateOptions, RunStarted, RunState, TrainRequest, trainingEvents } from './training'
import { RunHistory, RunImport, RunNotes, RunParent, RunsListing } from './runs'
import { QueueItem, QueueListing } from './queue'

const Empty = z.object({}).strict()

export const AppInfo = z.object({
  version: z.string(),
  /** Absolute path of the bundled sample corpus, the folder the app opens with. */
  sampleCorpus: z.string(),
  /** Electron can show a native folder dialog; the browser build asks for a typed path instead. */
  canPickFolder: z.boolean(),
  transport: z.enum(['ipc', 'websocket']),
  cores: z.number().int().positive(),
  totalMemoryBytes: z.number().positive(),
  /** Where new runs are written and where the Checkpoints view looks. */
  checkpointDir: z.string(),
  /** The folder the desktop app had open when last closed (readable again), to open with instead of the sample. */
  lastFolder: z.string().optional(),
  /** Served to a browser: the folders (cllm serve --root) inside which a typed folder may be read. */
  readableRoots: z.array(z.string()).optional(),
})
export type AppInfo = z.infer<typeof AppInfo>

export const ScanRequest = z.object({
  folder: z.string().min(1, 'Choose a folder first.'),
  maxFileBytes: z.number().int().positive().optional(),
  /** Chosen by the caller so it can match progress events and cancel before the scan returns. */
  scanId: z.string().min(1).max(100).optional(),
})

/** The Data view's "Tokenize" step, on the corpus of the last scan. */
export const PrepareRequest = z.object({
  tokenizer: TokenizerKind.default('bpe'),
  vocabSize: z.number().int().min(VOCAB_LIMITS.word.min).max(VOCAB_LIMITS.bpe.max).default(500),
  seqLen: z.number().int().positive().default(32),
  /** The split's seed and validation share: the Train view's, so the run trains on the split shown here. */
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(42),
  valFraction: z.number().gt(0).max(0.5).default(0.1),
  split: SplitMethod.default('blocks'),
  /** Which files train (the Data view's Train on), and for chat data which tokens carry the loss. */
  data: DataKindChoice.default('auto'),
  lossOn: LossOn.default('answers'),
  /** A corpus file (relative path, as listed by the scan) to show as coloured tokens. */
  previewPath: z.string().optional(),
})
export const PrepareResult = DatasetSummary.extend({
  preview: TokenPreview.extend({ path: z.string() }).nullable(),
  reused: z.boolean(),
})
export type PrepareResult = z.infer<typeof PrepareResult>

/** The run the engine holds now, for a UI that (re)connects mid-run. */
export const TrainingStatus = z.object({
  runId: z.string(),
  state: RunState,
  step: z.number().int().nonnegative(),
  folder: z.string(),
  /** The run's own config (a page that reloads shows it, not its form's). */
  config: RunStarted.shape.config.optional(),
  /** The run folder, once created. */
  runDir: z.string().nullable().optional(),
})
export type TrainingStatus = z.infer<typeof TrainingStatus>

/** A model on disk as Start from a model shows it. */
export const ModelSummary = z.object({
  /** Its absolute path: what a run started from it names. */
  path: z.string(),
  kind: z.enum(['huggingface', 'checkpoint']),
  model: z.object({
    vocabSize: z.number().int().positive(),
    embedDim: z.number().int().positive(),
    numLayers: z.number().int().positive(),
    numHeads: z.number().int().positive(),
    seqLen: z.number().int().positive(),
    /** Absent: gpt2. */
    architecture: ArchitectureName.optional(),
    numKvHeads: z.number().int().positive().optional(),
  }),
  /** A Hugging Face folder's model_type (gpt2, llama, qwen2, mistral). */
  family: z.string().optional(),
  tokenizer: TokenizerKind,
  parameters: z.number().int().nonnegative(),
})
export type ModelSummary = z.infer<typeof ModelSummary>

export const GenerateRequest = GenerateOptions.extend({
  checkpoint: z.string().min(1, 'Choose a checkpoint first.'),
  /** Chosen by the caller to match the streamed `generate.text` events. */
  requestId: z.string().min(1).max(100),
})
export type GenerateRequestInput = z.input<typeof GenerateRequest>

export const ChatRequest = GenerateRequest.omit({ prompt: true }).extend({
  messages: z.array(ChatMessage).min(1, 'Write a message first.').max(1000),
})
export type ChatRequestInput = z.input<typeof ChatRequest>

/** Export a checkpoint as a Hugging Face GPT-2 folder or a GGUF file (llama.cpp, Ollama, LM Studio). */
export const ExportRequest = z.object({
  checkpoint: z.string().min(1, 'Choose a checkpoint first.'),
  format: z.enum(['hf', 'gguf']),
  /** GGUF weights; the Hugging Face folder is always F32. */
  precision: z.enum(['f32', 'f16', 'q8_0']).default('f32'),
  /** A folder the user picked; absent: `exports/` in the app's checkpoint folder. */
  outDir: z.string().min(1).optional(),
})
export type ExportRequestInput = z.input<typeof ExportRequest>
export const ExportResult = z.object({
  /** The folder holding what was written (for GGUF: the .gguf file and its Modelfile). */
  outDir: z.string(),
  files: z.array(z.object({ name: z.string(), path: z.string(), bytes: z.number().int().nonnegative() })),
  /** The transformers class of a Hugging Face export (GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM). */
  architecture: z.string().optional(),
})
export type ExportResult = z.infer<typeof ExportResult>

/** Bring back a run folder trained elsewhere (a job's train.py --out): checked whole, then copied. */
export const ImportRunRequest = z.object({
  /** The run folder: picked in the folder dialog (desktop) or typed inside a served root (browser). */
  folder: z.string().min(1, 'Choose the run folder first.'),
  /** Chosen by the caller to match the `runs.importProgress` events. */
  importId: z.string().min(1).max(100).optional(),
})
export const ImportRunResult = z.object({
  runDir: z.string(),
  name: z.string(),
  files: z.array(z.object({ name: z.string(), bytes: z.number().int().nonnegative() })),
  checkpoints: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  /** The parent run in the checkpoint folder, or null (none, or not here: see warnings). */
  parentDir: z.string().nullable(),
  imported: RunImport,
  warnings: z.array(z.string()),
})
export type ImportRunResult = z.infer<typeof ImportRunResult>

/**
 * Train elsewhere: write a job folder for PyTorch (train.py, torchrun) either from a checkpoint
 * (continue that run) or from a corpus folder and the Train form's settings (a new run, prepared
 * here exactly as Train would, recorded as a run stopped at step 0 that the job continues).
 */
export const JobExportRequest = z
  .object({
    checkpoint: z.string().min(1).optional(),
    folder: z.string().min(1).optional(),
    config: z.unknown().optional(),
    /** A folder the user chose, where the job's folder is created; absent: `jobs/` in the checkpoint folder. */
    outDir: z.string().min(1).optional(),
    /** Chosen by the caller to match the `jobs.progress` events. */
    jobId: z.string().min(1).max(100).optional(),
  })
  .refine((r) => (r.checkpoint === undefined) !== (r.folder === undefined), {
    message: 'Name either a checkpoint to continue or a corpus folder with settings.',
  })
export type JobExportRequestInput = z.input<typeof JobExportRequest>
export const JobExportResult = z.object({
  outDir: z.string(),
  files: z.array(z.object({ name: z.string(), path: z.string(), bytes: z.number().int().nonnegative() })),
  /** The step the job starts from. */
  step: z.number().int().nonnegative(),
  /** The studio run and checkpoint the job continues (the imported run's parent). */
  parent: RunParent,
  /** The step-0 run prepared here, for a job made from settings. */
  runDir: z.string().optional(),
  /** The job README's commands, by section (one GPU, several GPUs, several nodes, Slurm, CPU only). */
  commands: z.array(z.object({ title: z.string(), lines: z.array(z.string()) })),
})
export type JobExportResult = z.infer<typeof JobExportResult>

const RunControl = z.object({ runId: z.string() })
/** A run folder, named by its absolute path (it must lie in the checkpoint folder). */
const RunFolder = z.object({ runDir: z.string().min(1) })
const RunControlResult = z.object({ state: RunState })

export const methods = {
  'app.info': { input: Empty, output: AppInfo },
  /** The whole machine now: memory in use, and how busy all cores were since the last call (null the first time). */
  'app.machine': {
    input: Empty,
    output: z.object({
      totalMemoryBytes: z.number().positive(),
      usedMemoryBytes: z.number().nonnegative(),
      cpuBusy: z.number().min(0).max(1).nullable(),
      cores: z.number().int().positive(),
    }),
  },
  /** Native folder dialog. Returns null when the user cancels or the transport has no dialog. */
  'corpus.pickFolder': { input: Empty, output: z.object({ folder: z.string().nullable() }) },
  'corpus.scan': {
    input: ScanRequest,
    output: ScanSummary.extend({ scanId: z.string() }),
  },
  'corpus.cancelScan': {
    input: z.object({ scanId: z.string() }),
    output: z.object({ cancelled: z.boolean() }),
  },
  'dataset.prepare': { input: PrepareRequest, output: PrepareResult },
  /** Validates the config and starts the run; progress arrives as `training.*` events. */
  'training.start': { input: TrainRequest, output: z.object({ runId: z.string() }) },
  'training.pause': { input: RunControl, output: RunControlResult },
  'training.resume': { input: RunControl, output: RunControlResult },
  'training.stop': { input: RunControl, output: RunControlResult },
  'training.status': { input: Empty, output: z.object({ run: TrainingStatus.nullable() }) },
  /**
   * Queues a run (what `training.start` takes) to start when the one before it ends; at once when
   * nothing trains. The folder and paths are checked now, the config when the run starts.
   */
  'queue.add': { input: TrainRequest, output: z.object({ item: QueueItem }) },
  /** The queue, in order: waiting, running and ended runs (kept in the engine's memory only). */
  'queue.list': { input: Empty, output: QueueListing },
  /** Takes a run that has not started (or one that has ended) off the queue. */
  'queue.remove': { input: z.object({ id: z.string().min(1) }), output: z.object({ removed: z.string() }) },
  /** Times a few steps of these settings on this machine (cached per model, batch and spheres). */
  'training.estimate': {
    input: z.object({ config: z.unknown().optional() }),
    output: z.object({ msPerStep: z.number().positive(), measuredSteps: z.number().int().positive() }),
  },
  'checkpoints.list': { input: Empty, output: RunListing },
  /** Reads one checkpoint whole: tensor hash, metadata consistency, finite weights. */
  'checkpoints.verify': {
    input: z.object({ path: z.string().min(1) }),
    output: z.object({
      path: z.string(),
      status: z.enum(['ok', 'corrupt']),
      problem: z.string().optional(),
      /** What was checked, when it passed. */
      checks: z.array(z.string()).optional(),
    }),
  },
  'checkpoints.export': { input: ExportRequest, output: ExportResult },
  /**
   * Reads a model to start from (a Hugging Face GPT-2 or Llama-family folder, or a checkpoint) as a fine-tuning run
   * would, and says what it is, or why it cannot be used: checked when chosen, not when Train is pressed.
   */
  'models.inspect': { input: z.object({ path: z.string().min(1, 'Type or choose a model first.') }), output: ModelSummary },
  /** Every run with status, lineage and figures (the Runs view). */
  'runs.list': { input: Empty, output: RunsListing },
  /** A run's whole history: its parents' metrics up to each resume step, then its own, each step once. */
  'runs.history': { input: RunFolder, output: RunHistory },
  /** Sets a run's title and notes (kept in its folder's notes.json). */
  'runs.annotate': { input: RunFolder.extend(RunNotes.shape), output: RunNotes },
  /** Moves a run folder to the trash (the system trash in the desktop app). */
  'runs.delete': { input: RunFolder, output: z.object({ deleted: z.string() }) },
  /** Shows a run folder or checkpoint in the system file manager; `revealed` false where there is none (browser). */
  'runs.reveal': { input: z.object({ path: z.string().min(1) }), output: z.object({ revealed: z.boolean(), path: z.string() }) },
  /** Checks a run folder trained elsewhere and copies it into the checkpoint folder as a run (or refuses, copying nothing). */
  'runs.import': { input: ImportRunRequest, output: ImportRunResult },
  /** Writes a job folder to train elsewhere with PyTorch (Train elsewhere…). */
  'jobs.export': { input: JobExportRequest, output: JobExportResult },
  /**
   * Scores text with a checkpoint: mean cross-entropy and perplexity. The text is the validation
   * split of the checkpoint's own run, or a folder when one is given. Progress arrives as
   * `checkpoints.evaluateProgress` events with the caller's `evaluationId`, which also cancels it.
   */
  'checkpoints.evaluate': {
    input: z.object({
      checkpoint: z.string().min(1),
      folder: z.string().min(1, 'Choose a folder first.').optional(),
      evaluationId: z.string().min(1).max(100).optional(),
    }),
    output: EvaluationResult,
  },
  'checkpoints.cancelEvaluate': {
    input: z.object({ evaluationId: z.string().min(1) }),
    output: z.object({ cancelled: z.boolean() }),
  },
  'generate.run': {
    input: GenerateRequest,
    output: z.object({ text: z.string(), tokens: z.number().int().nonnegative() }),
  },
  'generate.cancel': {
    input: z.object({ requestId: z.string() }),
    output: z.object({ cancelled: z.boolean() }),
  },
  /**
   * The model's answer to a conversation (its chat template applied, until its end-of-turn token),
   * streamed as `generate.text` events; `generate.cancel` stops it. Refused for a model without a template.
   */
  'chat.reply': {
    input: ChatRequest,
    output: z.object({
      text: z.string(),
      tokens: z.number().int().nonnegative(),
      stoppedAtEndOfTurn: z.boolean(),
      promptTokens: z.number().int().nonnegative(),
      /** Positions computed this turn: with the key/value cache, the new tokens only. */
      computedPositions: z.number().int().nonnegative(),
    }),
  },
} as const

/** The studio's views, as the menu and the renderer name them. */
export const ViewName = z.enum(['data', 'train', 'checkpoints', 'generate'])
/** A desktop action for the window: a menu item or its shortcut, or a clicked notification (open-run). */
export const AppCommand = z.discriminatedUnion('command', [
  z.object({ command: z.enum(['train', 'pause', 'stop']) }),
  z.object({ command: z.literal('show'), view: ViewName }),
  z.object({ command: z.literal('open-run'), runId: z.string(), runDir: z.string().optional() }),
])
export type AppCommand = z.infer<typeof AppCommand>

export const events = {
  'corpus.progress': ScanProgress,
  /** The user chose a folder outside the UI (File → Open Folder… in Electron's menu). */
  'app.folderPicked': z.object({ folder: z.string() }),
  'app.command': AppCommand,
  'dataset.progress': TokenizeProgress,
  ...trainingEvents,
  /** The whole queue, whenever a run is added, removed, starts or ends. */
  'queue.changed': QueueListing,
  /** How far an import has got (checking, then copying), for the request that asked. */
  'runs.importProgress': z.object({
    importId: z.string(),
    phase: z.enum(['checking', 'copying']),
    file: z.string(),
    bytesDone: z.number().nonnegative(),
    bytesTotal: z.number().nonnegative(),
  }),
  /** What a job export is doing (preparing the run, reading the checkpoint, writing the folder). */
  'jobs.progress': z.object({ jobId: z.string(), phase: z.string(), detail: z.string() }),
  /** How far an evaluation has got: tokens scored of the total (reading and encoding first: phase). */
  'checkpoints.evaluateProgress': z.object({
    evaluationId: z.string(),
    phase: z.enum(['reading', 'scoring']),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
  }),
  /** Text as the model produces it, for the request that asked. */
  'generate.text': z.object({ requestId: z.string(), text: z.string() }),
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>
/** What a handler receives: the input after validation, defaults filled in. */
export type MethodArgs<M extends MethodName> = z.output<Methods[M]['input']>
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>

export const methodNames = Object.keys(methods) as MethodName[]
export const eventNames = Object.keys(events) as EventName[]

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name)
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name)
}

/** An event as it travels: its name and its payload. */
export type EngineEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName]

/** What `window.cllm` exposes (preload), and what the WebSocket client implements the same way. */
export interface CllmApi {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<Result<MethodOutput<M>>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}

export type { ApiError, Result }
