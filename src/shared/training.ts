/**
 * The run configuration and the training events. One zod schema gives both the TypeScript type and
 * the runtime validation used by the CLI, the UI and the session, so a config is refused the same
 * way (naming the field) wherever it comes from.
 *
 * This module is pure: what depends on the machine (cores, total memory) is passed in by the caller
 * (see `resolveRunConfig`), so the renderer can validate a form with the same rules.
 */
import { z } from 'zod'
import { ChatTokenCounts, DataKindChoice, LossOn } from './chat'
import { UserError } from './errors'
import { ErrorCodeSchema } from './error-schema'
import { formatBytes } from './units'
import { SplitMethod, SplitSide, TokenizerKind, VOCAB_LIMITS } from './tokenizer'
import { ARCHITECTURES, DEFAULT_ARCHITECTURE, defaultFfnDim } from './architectures'

// ─── the figures a run reports ───────────────────────────────────────────────────────────────────
//
// One definition each, and every place that shows one (CLI, app, run.json, model card) labels it:
// - training loss: the mean of the last (up to) 100 steps' losses — what summaries and tables give;
// - loss, last step: one batch's loss — the live tile and metrics.jsonl's per-step `loss`;
// - mean loss over the epoch: the epoch summary's;
// - validation loss: measured on the fixed validation windows, always given with its step;
// - tok/s: training tokens over the training steps' own time (evaluation and checkpoints apart),
//   over the whole run ("run average"), an epoch, or the steps since the previous progress event
//   ("recent": the live tile and metrics.jsonl's `tokens_per_s`).

/** "training loss, mean of the last 100 steps" */
export function trainLossLabel(window: number): string {
  return `training loss, mean of the last ${window} ${window === 1 ? 'step' : 'steps'}`
}

// ─── run config ──────────────────────────────────────────────────────────────────────────────────

export { TokenizerKind }
const MIN_VOCAB = Math.min(VOCAB_LIMITS.bpe.min, VOCAB_LIMITS.word.min)
const MAX_VOCAB = Math.max(VOCAB_LIMITS.bpe.max, VOCAB_LIMITS.word.max)
/** A WebAssembly (wasm32) memory addresses at most 4 GiB; the run's parameters, moments, gradients and activations all live in one. */
export const WASM32_MAX_BYTES = 4 * 1024 ** 3
/** The largest learning rate accepted (see TrainingSection.learningRate). */
export const MAX_LEARNING_RATE = 1
/** AdamW constants (GPT-2 practice); not exposed as flags but recorded with every checkpoint. */
export const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const

const size = (max: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)

const count = (max: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(max, `must be at most ${max}`)

const positiveReal = z
  .number({ error: 'must be a finite number' })
  .refine((x) => Number.isFinite(x) && x > 0, 'must be a finite number greater than 0')

const nonNegativeReal = z
  .number({ error: 'must be a finite number' })
  .refine((x) => Number.isFinite(x) && x >= 0, 'must be a finite number, 0 or more')

export { ARCHITECTURES, DEFAULT_ARCHITECTURE, defaultFfnDim }

/** The model section's architecture field for a new run: absent stands for gpt2. */
export function architectureField(architecture: ArchitectureName): { architecture?: ArchitectureName } {
  return architecture === 'gpt2' ? {} : { architecture }
}
/**
 * A new run's config as the user described it (flags, a queue entry), with the default family added
 * where they named none; a resumed or fine-tuned run keeps its model's and is not passed here. While
 * the default is gpt2 nothing is added, so such configs read as they always did. A model section
 * that is not an object is left for the schema to refuse.
 */
export function withDefaultArchitecture<C extends { model?: unknown }>(config: C | undefined): C | undefined {
  const field = architectureField(DEFAULT_ARCHITECTURE)
  if (field.architecture === undefined) return config
  const model = config?.model ?? {}
  if (typeof model !== 'object' || model === null || Array.isArray(model) || 'architecture' in model) return config
  return { ...config, model: { ...model, ...field } } as C
}
export const ArchitectureName = z.enum(ARCHITECTURES, { error: `must be one of ${ARCHITECTURES.join(', ')}` })
export type ArchitectureName = z.infer<typeof ArchitectureName>

export const ModelSection = z.object({
  /**
   * gpt2: learned positions, LayerNorm, GELU. llama: rotary positions, RMSNorm, SwiGLU, grouped-query
   * attention. Absent: gpt2 (every config written before llama existed); a new run from the form or the
   * CLI gets DEFAULT_ARCHITECTURE written out unless that is gpt2.
   */
  architecture: ArchitectureName.optional(),
  vocabSize: z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(MIN_VOCAB, `must be at least ${MIN_VOCAB}`)
    .max(MAX_VOCAB, `must be at most ${MAX_VOCAB}`)
    .default(500),
  embedDim: size(16384).default(64),
  numLayers: size(512).default(2),
  numHeads: size(1024).default(4),
  /** Context length: the model's positions and the training window. */
  seqLen: size(65536).default(32),
  /** llama: key/value heads (grouped-query attention), dividing numHeads. Absent: numHeads. */
  numKvHeads: size(1024).optional(),
  /** llama: the SwiGLU MLP's width. Absent: defaultFfnDim(embedDim). */
  ffnDim: size(1 << 20).optional(),
  /** llama: RMSNorm epsilon (absent: 1e-5), rotary base θ (absent: 10000), tied head (absent: true), q/k/v biases (absent: false). Set by a model a run starts from. */
  normEps: positiveReal.optional(),
  ropeTheta: z.number({ error: 'must be a number' }).refine((x) => Number.isFinite(x) && x > 1, 'must be a finite number above 1').optional(),
  tiedEmbeddings: z.boolean().optional(),
  qkvBias: z.boolean().optional(),
})
export type ModelSection = z.infer<typeof ModelSection>

export const TrainingSection = z.object({
  batchSize: size(65536).default(4),
  /**
   * At most 1: AdamW moves every weight by about the learning rate each step, and weights start
   * near ±0.02, so a rate above 1 destroys the model in its first step (GPT-2 practice: 1e-4 to 1e-3).
   */
  learningRate: positiveReal
    .refine((x) => x <= MAX_LEARNING_RATE, `must be at most ${MAX_LEARNING_RATE}: AdamW moves each weight by about the learning rate every step, and weights start near ±0.02 (typical rates: 0.0001 to 0.01)`)
    .default(0.001),
  epochs: size(1_000_000).default(1),
  /** The run's total number of steps (a resumed run counts the steps already taken); overrides epochs. */
  maxSteps: size(1e12).optional(),
  /** Linear warmup steps. Absent: 5% of the run's steps, at most 100. */
  warmup: count(1e12).optional(),
  weightDecay: nonNegativeReal.default(0.01),
  /** Global-norm gradient clipping threshold; 0 disables clipping. */
  gradClip: nonNegativeReal.default(1),
  seed: count(2 ** 32 - 1).default(42),
  /** Steps between validation losses (and CLI progress lines). */
  evalInterval: size(1e12).default(100),
  /** Steps between periodic checkpoints; 0: only on stop and at the end. */
  checkpointInterval: count(1e12).default(500),
  /** Periodic checkpoints kept (the best by validation loss is kept as well). */
  keep: size(1_000_000).default(3),
  /**
   * Spheres (worker threads). At most maxSpheres(batchSize, cores): the smaller of the batch size
   * (a sphere without a window of the batch has nothing to do) and 4 × the cores (more threads
   * than that only share the same cores). Absent: every core, or the batch size if smaller.
   */
  threads: size(1024).optional(),
  tokenizer: TokenizerKind.default('bpe'),
  /** Plain text or chat data (`.jsonl`); `auto` refuses a folder that mixes both. */
  data: DataKindChoice.default('auto'),
  /** Chat data: the loss on the assistants' answers only (default), or on every token. */
  lossOn: LossOn.default('answers'),
  /** Share of the token stream held out for validation. */
  valFraction: z
    .number({ error: 'must be a number' })
    .refine((x) => Number.isFinite(x) && x > 0 && x <= 0.5, 'must be above 0 and at most 0.5')
    .default(0.1),
  /** How validation is cut out: blocks of about 4 KiB at line boundaries, or whole files. */
  split: SplitMethod.default('blocks'),
  beta1: z.number().min(0).lt(1).default(ADAMW_DEFAULTS.beta1),
  beta2: z.number().min(0).lt(1).default(ADAMW_DEFAULTS.beta2),
  eps: positiveReal.default(ADAMW_DEFAULTS.eps),
})
export type TrainingSection = z.infer<typeof TrainingSection>

/** The longest run name (a folder name); the engine's own check and its message use the same figure. */
export const RUN_NAME_MAX_CHARS = 120

export const PathsSection = z.object({
  checkpointDir: z.string().min(1, 'must not be empty').default('./checkpoints'),
  /** Folder name of the run inside checkpointDir. Absent: derived from the corpus folder and the time. */
  runName: z
    .string()
    .min(1, 'must not be empty')
    .max(RUN_NAME_MAX_CHARS, `must be at most ${RUN_NAME_MAX_CHARS} characters`)
    .regex(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits, ".", "_" and "-"')
    .refine((name) => name !== '.' && name !== '..', 'must be a folder name')
    .optional(),
})
export type PathsSection = z.infer<typeof PathsSection>

const RunConfigShape = z.object({
  model: ModelSection.prefault({}),
  training: TrainingSection.prefault({}),
  paths: PathsSection.prefault({}),
})

/** The whole run configuration. Parsing fills in the defaults of the original CLLM example. */
export const RunConfig = RunConfigShape.superRefine((config, ctx) => {
    const { model, training } = config
    if (model.embedDim % model.numHeads !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'numHeads'],
        message: `must divide embedDim (${model.embedDim} is not a multiple of ${model.numHeads})`,
      })
    }
    if (model.architecture === 'llama') {
      const kv = model.numKvHeads ?? model.numHeads
      if (model.numHeads % kv !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['model', 'numKvHeads'],
          message: `must divide numHeads (${model.numHeads} is not a multiple of ${kv})`,
        })
      }
      if (model.embedDim % model.numHeads === 0 && (model.embedDim / model.numHeads) % 2 !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['model', 'numHeads'],
          message: `must leave an even head size for rotary positions (embedDim ${model.embedDim} / ${model.numHeads} = ${model.embedDim / model.numHeads})`,
        })
      }
    } else {
      for (const field of ['numKvHeads', 'ffnDim', 'normEps', 'ropeTheta', 'tiedEmbeddings', 'qkvBias'] as const) {
        if (model[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['model', field], message: 'applies to the llama architecture only' })
        }
      }
    }
    const limits = VOCAB_LIMITS[training.tokenizer]
    if (model.vocabSize < limits.min || model.vocabSize > limits.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'vocabSize'],
        message: `must be between ${limits.min} and ${limits.max} for the ${training.tokenizer} tokenizer`,
      })
    }
  })
/** A parsed config: every default filled in (threads may still be "all cores"). */
export type RunConfig = z.infer<typeof RunConfig>
/** What a caller may pass: any field may be left out. */
export type RunConfigInput = z.input<typeof RunConfig>
/** A config ready to run: the thread count is known. */
export type ResolvedRunConfig = RunConfig & { training: TrainingSection & { threads: number } }

/** What the machine offers; the engine fills it from `node:os`, the UI from `app.info`. */
export interface MachineInfo {
  cores: number
  totalMemoryBytes: number
}

/** The sizes of a llama model section, every default filled in. */
function llamaSizes(model: ModelSection): { QKV: number; I: number; tied: boolean; bias: boolean } {
  const hs = model.embedDim / model.numHeads
  return {
    QKV: (model.numHeads + 2 * (model.numKvHeads ?? model.numHeads)) * hs,
    I: model.ffnDim ?? defaultFfnDim(model.embedDim),
    tied: model.tiedEmbeddings ?? true,
    bias: model.qkvBias ?? false,
  }
}

/**
 * Learnable parameters. gpt2: tied LM head, 4× MLP, biases everywhere. llama: no positions, q|k|v of
 * (numHeads + 2·numKvHeads) heads, SwiGLU of three ffnDim × embedDim matrices, RMSNorm weights.
 */
export function countParameters(model: ModelSection): number {
  if (model.architecture === 'llama') {
    const { vocabSize: V, embedDim: C, numLayers: L } = model
    const { QKV, I, tied, bias } = llamaSizes(model)
    return V * C + L * (2 * C + QKV * C + (bias ? QKV : 0) + C * C + 3 * C * I) + C + (tied ? 0 : V * C)
  }
  const { vocabSize: V, embedDim: C, numLayers: L, seqLen: T } = model
  const perLayer =
    2 * C + // ln_1
    C * 3 * C + 3 * C + // attn.c_attn
    C * C + C + // attn.c_proj
    2 * C + // ln_2
    C * 4 * C + 4 * C + // mlp.c_fc
    4 * C * C + C // mlp.c_proj
  return V * C + T * C + L * perLayer + 2 * C
}

export interface MemoryEstimate {
  parameters: number
  /** Parameters, AdamW moments and one gradient buffer per sphere: params × 4 bytes × (3 + threads). */
  stateBytes: number
  /** Each sphere's own thread: SPHERE_OVERHEAD_BYTES × threads. */
  sphereBytes: number
  /** Every sphere's activations and backward scratch for its shard of the batch. */
  activationBytes: number
  totalBytes: number
}

/** Spheres per core at most: beyond that threads only take turns on the same cores. */
export const SPHERES_PER_CORE_LIMIT = 4

/** The most spheres a run may use: the smaller of the batch size and 4 × the cores. */
export function maxSpheres(batchSize: number, cores: number): number {
  return Math.max(1, Math.min(batchSize, SPHERES_PER_CORE_LIMIT * Math.max(1, cores)))
}

/** What each sphere costs besides its share of the model's buffers: a V8 isolate and its kernels. */
export const SPHERE_OVERHEAD_BYTES = 16 * 1024 * 1024

/** Share of the machine's memory a run may take (the rest is for the OS, the app and the dataset). */
export const MACHINE_MEMORY_SHARE = 0.8

/**
 * The run's shared memory, laid out as the trainer does (model/memory-plan.ts): per layer ≈ 17·T·C
 * floats plus NH·T² for attention, per window the logits T·V and the backward scratch. When that
 * is beyond a WebAssembly memory, the trainer keeps one attention matrix and GELU output (4·T·C) for
 * all layers and recomputes them in backward, and so does this estimate.
 */
export function estimateMemory(model: ModelSection, batchSize: number, threads: number): MemoryEstimate {
  const { vocabSize: V, embedDim: C, numLayers: L, numHeads: NH, seqLen: T } = model
  const parameters = countParameters(model)
  const rowsPerSphere = Math.ceil(batchSize / Math.max(1, threads))
  const stateBytes = parameters * 4 * (3 + threads)
  const sphereBytes = SPHERE_OVERHEAD_BYTES * threads
  // The plan recomputes attention and GELU in backward only when storing them would not fit one
  // WebAssembly memory (state and activations live there; a sphere's own thread does not).
  // Floats per window: each layer's saved activations (`recomputable` of them shared when recomputing),
  // then the final norm, logits and backward scratch, as the architectures lay out a shard.
  const llama = model.architecture === 'llama' ? llamaSizes(model) : undefined
  const estimate = (recompute: boolean): MemoryEstimate => {
    const recomputable = NH * T * T + (llama ? llama.I : 4 * C) * T
    const layer = llama ? T * (5 * C + llama.QKV + 3 * llama.I + 2) : 17 * T * C + 4 * T
    const rest = llama ? T * (6 * C + 3 * llama.I + llama.QKV + 5) : 15 * T * C + 6 * T
    const perLayer = layer + NH * T * T - (recompute ? recomputable : 0)
    const perRow = L * perLayer + rest + T * V + NH * T * T + (recompute ? recomputable : 0)
    const activationBytes = perRow * rowsPerSphere * 4 * threads
    return {
      parameters,
      stateBytes,
      sphereBytes,
      activationBytes,
      totalBytes: stateBytes + activationBytes + sphereBytes,
    }
  }
  const stored = estimate(false)
  return stored.stateBytes + stored.activationBytes <= WASM32_MAX_BYTES ? stored : estimate(true)
}


/**
 * Parse a config and check it against the machine: every field valid, the thread count resolved,
 * and the model small enough for one WebAssembly memory and for this machine's RAM. Throws a
 * UserError naming the field before any work starts.
 */
export function resolveRunConfig(input: unknown, machine: MachineInfo): ResolvedRunConfig {
  const parsed = RunConfig.safeParse(input ?? {})
  if (!parsed.success) throw new UserError('invalid-config', describeConfigIssues(parsed.error))
  const config = parsed.data
  const { batchSize, maxSteps, warmup } = config.training
  const sphereLimit = maxSpheres(batchSize, machine.cores)
  const threads = config.training.threads ?? Math.min(Math.max(1, machine.cores), sphereLimit)
  if (threads > sphereLimit) {
    throw new UserError(
      'invalid-config',
      `training.threads: ${threads} spheres is more than this run can use: at most ${sphereLimit}` +
        ` (the smaller of batchSize ${batchSize} and ${SPHERES_PER_CORE_LIMIT} × ${machine.cores} cores).`,
    )
  }
  if (warmup !== undefined && maxSteps !== undefined && warmup >= maxSteps) {
    throw new UserError(
      'invalid-config',
      `training.warmup: ${warmup} steps of warm-up are not fewer than the run's ${maxSteps} steps (maxSteps); the learning rate would never reach its peak.`,
    )
  }
  const resolved: ResolvedRunConfig = { ...config, training: { ...config.training, threads } }
  const estimate = estimateMemory(config.model, config.training.batchSize, threads)
  const machineLimit = Math.floor(machine.totalMemoryBytes * MACHINE_MEMORY_SHARE)
  const limit = Math.min(WASM32_MAX_BYTES, machineLimit)
  if (estimate.totalBytes > limit) {
    const where =
      limit === WASM32_MAX_BYTES
        ? 'a WebAssembly memory can hold'
        : `training may use on this machine (${Math.round(MACHINE_MEMORY_SHARE * 100)}% of its memory)`
    throw new UserError(
      'invalid-config',
      `model: with ${estimate.parameters.toLocaleString('en-US')} parameters, batchSize ${config.training.batchSize}` +
        ` and ${threads} thread${threads === 1 ? '' : 's'} the run needs ${formatBytes(estimate.totalBytes)},` +
        ` more than the ${formatBytes(limit)} ${where}. Make the model (embedDim, numLayers, vocabSize, seqLen)` +
        ' or the batch smaller, or use fewer threads.',
    )
  }
  return resolved
}

/** "model.numHeads: must divide embedDim (…)" — field paths first, joined for one line. */
export function describeConfigIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ')
}

// ─── schedule helpers shared with the UI ─────────────────────────────────────────────────────────

/** Warmup steps actually used: the configured value, or 5% of the run (at most 100). */
export function warmupSteps(training: Pick<TrainingSection, 'warmup'>, totalSteps: number): number {
  return training.warmup ?? Math.min(100, Math.floor(totalSteps / 20))
}

// ─── training events ─────────────────────────────────────────────────────────────────────────────

export const RunState = z.enum(['preparing', 'training', 'paused', 'stopping', 'done', 'failed'])
export type RunState = z.infer<typeof RunState>

export const SphereStateName = z.enum(['idle', 'working', 'reducing', 'waiting'])

/** One sphere (worker thread) as the pool reports it. */
export const SphereStatsSchema = z.object({
  id: z.number().int(),
  /** id mod 12: the symmetry group in the kissing-sphere arrangement. */
  group: z.number().int(),
  /** Parent in the tree; -1 for spheres around the coordinator. */
  parent: z.number().int(),
  state: SphereStateName,
  busyNs: z.number(),
  waitNs: z.number(),
  /** busy / wall, 0..1. */
  utilisation: z.number(),
  tokens: z.number(),
  batches: z.number(),
  /** Loss of the sphere's shard in the last step (null when it had no rows). */
  loss: z.number().nullable(),
})
export type SphereStatsPayload = z.infer<typeof SphereStatsSchema>

const runId = z.string()

/** The lifecycle: preparing → training ⇄ paused → stopping → done | failed. */
export const RunStateChange = z.object({
  runId,
  state: RunState,
  /** Why the run ended: it finished its steps, was stopped, or failed (message says why). */
  reason: z.enum(['completed', 'stopped', 'failed']).optional(),
  message: z.string().optional(),
  step: z.number().int().nonnegative(),
  /** ISO time of the change. */
  at: z.string(),
})
export type RunStateChange = z.infer<typeof RunStateChange>

export const PreparePhase = z.enum(['corpus', 'tokenizer', 'dataset', 'model', 'checkpoint'])
export type PreparePhase = z.infer<typeof PreparePhase>
export const PrepareProgress = z.object({
  runId,
  phase: PreparePhase,
  /** A sentence for the user: what is being done, with counts where known. */
  detail: z.string(),
  /** 0..1 within the phase when known. */
  fraction: z.number().min(0).max(1).optional(),
  /** True on the line that sums up a finished phase (corpus read, dataset encoded). */
  done: z.boolean().optional(),
  /** On the line that ends the corpus phase: what the run's folder holds (the Train view's corpus bar). */
  corpus: z.object({ files: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }).optional(),
})
export type PrepareProgress = z.infer<typeof PrepareProgress>

/** Sent once, when preparation is over and the first step is about to run. */
export const RunStarted = z.object({
  runId,
  runDir: z.string(),
  config: RunConfigShape.extend({
    training: TrainingSection.extend({ threads: z.number().int().positive() }),
  }),
  parameters: z.number().int(),
  startStep: z.number().int().nonnegative(),
  totalSteps: z.number().int().positive(),
  stepsPerEpoch: z.number().int().positive(),
  trainTokens: z.number().int().nonnegative(),
  valTokens: z.number().int().nonnegative(),
  /** Chat data: conversations, prompt and answer tokens, and the share that carries the loss. */
  chat: ChatTokenCounts.optional(),
  /** What each side of the train/validation split holds (absent from events of older versions). */
  split: z.object({ method: SplitMethod, train: SplitSide, validation: SplitSide }).optional(),
  tokenizer: z.object({ kind: TokenizerKind, vocabSize: z.number().int() }),
  corpusFingerprint: z.string(),
  resumedFrom: z.string().nullable(),
  /** The model a fine-tuning run started from (a Hugging Face folder or a checkpoint), if any. */
  initFrom: z.string().nullable().optional(),
  /** Validation loss of the untrained model (≈ ln(vocab)); null on a resumed run. */
  initialValLoss: z.number().nullable(),
  /** Set when resuming on a corpus that changed since the checkpoint (and --force allowed it). */
  warnings: z.array(z.string()),
})
export type RunStarted = z.infer<typeof RunStarted>

/** One step's numbers, as kept in metrics.jsonl and drawn in the charts. */
export const MetricPoint = z.object({
  step: z.number().int().positive(),
  epoch: z.number().int().nonnegative(),
  loss: z.number(),
  lr: z.number(),
  gradNorm: z.number(),
  tokens: z.number().int(),
  /** Present on steps where the validation loss was measured. */
  valLoss: z.number().optional(),
})
export type MetricPoint = z.infer<typeof MetricPoint>

/**
 * Progress, at most ~10 per second: every step since the previous event (so charts lose nothing),
 * the latest figures, and the spheres' statistics over the period.
 */
export const TrainingProgress = z.object({
  runId,
  step: z.number().int().nonnegative(),
  totalSteps: z.number().int().positive(),
  epoch: z.number().int().nonnegative(),
  epochs: z.number().int().positive(),
  loss: z.number(),
  /** Last measured validation loss (null before the first evaluation). */
  valLoss: z.number().nullable(),
  lr: z.number(),
  tokensPerSec: z.number(),
  etaSec: z.number(),
  elapsedSec: z.number(),
  points: z.array(MetricPoint),
  spheres: z.array(SphereStatsSchema),
})
export type TrainingProgress = z.infer<typeof TrainingProgress>

/** End of an epoch: mean training loss, validation loss and each sphere's totals for the epoch. */
export const EpochSummary = z.object({
  runId,
  epoch: z.number().int().nonnegative(),
  step: z.number().int().nonnegative(),
  meanLoss: z.number(),
  valLoss: z.number().nullable(),
  durationSec: z.number(),
  tokensPerSec: z.number(),
  spheres: z.array(SphereStatsSchema),
})
export type EpochSummary = z.infer<typeof EpochSummary>

export const CheckpointSaved = z.object({
  runId,
  path: z.string(),
  step: z.number().int().nonnegative(),
  kind: z.enum(['periodic', 'stop', 'final']),
  valLoss: z.number().nullable(),
  /** Checkpoints deleted by retention (--keep N plus the best). */
  removed: z.array(z.string()),
})
export type CheckpointSaved = z.infer<typeof CheckpointSaved>

/** The run is over; sent after the final state change. */
export const RunFinished = z.object({
  runId,
  state: z.enum(['done', 'failed']),
  reason: z.enum(['completed', 'stopped', 'failed']),
  message: z.string().optional(),
  /** The error's code when it failed ('internal' for anything that is not the user's to fix). */
  code: ErrorCodeSchema.optional(),
  step: z.number().int().nonnegative(),
  /** The newest checkpoint written by this run (final_model on completion), or null. */
  checkpoint: z.string().nullable(),
  /** Mean training loss over the last `trainLossWindow` steps (one batch's loss is too noisy to report). */
  trainLoss: z.number().nullable(),
  trainLossWindow: z.number().int().positive().optional(),
  valLoss: z.number().nullable(),
  /** The step `valLoss` was measured at (the last step, also on a stop); absent from older events. */
  valLossStep: z.number().int().nonnegative().nullable().optional(),
  /** Training tokens per second over the steps' wall time; evaluation and checkpoint time reported apart. */
  tokensPerSec: z.number().optional(),
  trainSec: z.number().optional(),
  evalSec: z.number().optional(),
  checkpointSec: z.number().optional(),
  /** The run folder this run wrote (null when it failed before creating one). */
  runDir: z.string().nullable().optional(),
  /** Text generated by the trained model at the end of a completed run. */
  sample: z.string().nullable(),
  durationSec: z.number(),
})
export type RunFinished = z.infer<typeof RunFinished>

/** Chat data: at an evaluation, the model's answers to a few held-out prompts, beside the expected ones. */
export const SampleAnswers = z.object({
  runId,
  step: z.number().int().nonnegative(),
  samples: z.array(
    z.object({
      /** The last user message of the held-out conversation. */
      prompt: z.string(),
      expected: z.string(),
      answer: z.string(),
    }),
  ),
})
export type SampleAnswers = z.infer<typeof SampleAnswers>

/** Every event a training session emits, by name: spread into the contract's events. */
export const trainingEvents = {
  'training.state': RunStateChange,
  'training.prepare': PrepareProgress,
  'training.started': RunStarted,
  'training.progress': TrainingProgress,
  'training.epoch': EpochSummary,
  'training.samples': SampleAnswers,
  'training.checkpoint': CheckpointSaved,
  'training.finished': RunFinished,
} as const
export type TrainingEventName = keyof typeof trainingEvents
export type TrainingEventPayload<E extends TrainingEventName> = z.output<(typeof trainingEvents)[E]>
/** An event as a session emits it (same shape as the contract's EngineEvent). */
export type TrainingEvent = { [E in TrainingEventName]: { event: E; payload: TrainingEventPayload<E> } }[TrainingEventName]

// ─── requests (for the contract) ─────────────────────────────────────────────────────────────────

/** Start a run on a folder, optionally resuming a checkpoint file. */
export const TrainRequest = z.object({
  folder: z.string().min(1, 'Choose a folder first.'),
  config: z.unknown().optional(),
  resume: z.string().min(1).optional(),
  /** Resume even though the corpus changed since the checkpoint. */
  force: z.boolean().optional(),
  /** Fine-tune this model (a Hugging Face GPT-2 folder or a checkpoint file) instead of starting from noise. */
  initFrom: z.string().min(1).optional(),
})
export type TrainRequest = z.infer<typeof TrainRequest>

export const GenerateOptions = z.object({
  prompt: z.string().default(''),
  maxTokens: size(1_000_000).default(100),
  /** 0: greedy (always the most likely token). */
  temperature: nonNegativeReal.default(0.8),
  /** Keep the k most likely tokens; 0 keeps all. */
  topK: count(MAX_VOCAB).default(0),
  /** Keep the smallest set of tokens whose probabilities sum to p; 1 keeps all. */
  topP: z
    .number({ error: 'must be a number' })
    .refine((x) => Number.isFinite(x) && x > 0 && x <= 1, 'must be greater than 0 and at most 1')
    .default(1),
  seed: count(2 ** 32 - 1).default(42),
})
export type GenerateOptions = z.infer<typeof GenerateOptions>
export type GenerateOptionsInput = z.input<typeof GenerateOptions>

export const EvaluationResult = z.object({
  loss: z.number(),
  perplexity: z.number(),
  tokens: z.number().int().nonnegative(),
})
export type EvaluationResult = z.infer<typeof EvaluationResult>
