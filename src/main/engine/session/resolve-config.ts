/**
 * A run's config, resolved in one place. What the user gave — CLI flags, the Train form or an API
 * request, a queue entry, all as a `RunConfigInput` holding only what was set — goes on top of where
 * the run starts: from scratch, from a checkpoint it resumes, or from a model it fine-tunes. The
 * result has every default filled in and every refusal made (a field out of range, a model field
 * that differs from the weights, a run too big for memory), before any work starts.
 *
 *   scratch     the schema's defaults (shared/training.ts: `resolveRunConfig`, which the Train form
 *               runs in the page too); a new run's architecture is the caller's (`--arch`, the form),
 *               absent meaning gpt2
 *   checkpoint  the checkpoint's model, tokenizer and settings; the caller's changes on top
 *   model       the model's shape and tokenizer, fine-tuning's defaults, then the caller's settings
 *
 * The architecture's own defaults are written out too: a llama model's key/value heads, SwiGLU width,
 * RMSNorm ε, rotary θ, tied head and biases (model/architectures/llama.ts: `withLlamaDefaults`, as its
 * checkpoints record them). A GPT-2 model has none, and its section stays as given.
 */
import { UserError } from '../../../shared/errors'
import type { CheckpointMetadata } from '../../../shared/checkpoint'
import {
  resolveRunConfig,
  type MachineInfo,
  type ResolvedRunConfig,
  type RunConfigInput,
  type TokenizerKind,
} from '../../../shared/training'
import type { InitialModel } from '../checkpoints/import-hf'
import type { ModelConfig } from '../model/trainer'
import { fromModelConfig, toModelConfig } from './config'

/** Where a run starts. */
export type RunStart =
  | { from: 'scratch' }
  /** Resuming `path`: its recorded config and tokenizer kind. */
  | { from: 'checkpoint'; path: string; config: CheckpointMetadata['config']; tokenizerKind: TokenizerKind }
  /** Fine-tuning a model (`--init-from`): a Hugging Face folder or a checkpoint, loaded. */
  | { from: 'model'; initial: InitialModel }

/** The run's whole config: what the user gave on top of where the run starts. Throws a UserError naming the field. */
export function resolveConfig(given: RunConfigInput | undefined, start: RunStart, machine: MachineInfo): ResolvedRunConfig {
  return withArchitectureDefaults(resolvedFrom(given, start, machine))
}

function resolvedFrom(given: RunConfigInput | undefined, start: RunStart, machine: MachineInfo): ResolvedRunConfig {
  switch (start.from) {
    case 'scratch':
      return resolveRunConfig(given ?? {}, machine)
    case 'checkpoint':
      return resumedConfig(start.config, start.tokenizerKind, given, machine, start.path)
    case 'model':
      return fineTunedConfig(given, start.initial, machine)
  }
}

/** A llama model section with every default of its family written out; any other as it is. */
function withArchitectureDefaults(config: ResolvedRunConfig): ResolvedRunConfig {
  if (config.model.architecture !== 'llama') return config
  return { ...config, model: fromModelConfig(toModelConfig(config.model)) }
}

// ─── resuming a checkpoint ───────────────────────────────────────────────────────────────────────

const MODEL_FIELDS = [
  'architecture', 'vocabSize', 'embedDim', 'numLayers', 'numHeads', 'seqLen', 'numKvHeads', 'ffnDim', 'normEps',
  'ropeTheta', 'tiedEmbeddings', 'qkvBias',
] as const

/**
 * The config of a resumed run: the checkpoint's model, tokenizer and training settings, with the
 * caller's explicit settings on top. A model field or tokenizer that differs from the checkpoint is
 * refused (the weights have that shape). The thread count is never taken from the checkpoint: it
 * belongs to the machine, and a run may resume on a different number of threads.
 */
export function resumedConfig(
  stored: CheckpointMetadata['config'],
  tokenizerKind: TokenizerKind,
  given: RunConfigInput | undefined,
  machine: MachineInfo,
  checkpoint: string,
): ResolvedRunConfig {
  const model = fromModelConfig(stored.model as ModelConfig)
  const storedTraining = { ...(isRecord(stored.training) ? stored.training : {}) }
  delete storedTraining.threads
  // A run made before the split had a method split whole files: its child keeps that split.
  if (storedTraining.split === undefined) storedTraining.split = 'files'
  // Asking for a number of epochs replaces the step total the checkpointed run had.
  if (given?.training?.epochs !== undefined && given.training.maxSteps === undefined) delete storedTraining.maxSteps
  for (const field of MODEL_FIELDS) {
    const value = given?.model?.[field]
    // An absent architecture is gpt2.
    const stored = field === 'architecture' ? (model.architecture ?? 'gpt2') : model[field]
    if (value !== undefined && value !== stored) {
      throw new UserError(
        'invalid-config',
        `model.${field}: ${String(value)} does not match the checkpoint's ${String(stored)} (${checkpoint}); a resumed run keeps its model.`,
      )
    }
  }
  const kind = given?.training?.tokenizer
  if (kind !== undefined && kind !== tokenizerKind) {
    throw new UserError(
      'invalid-config',
      `training.tokenizer: ${kind} does not match the checkpoint's ${tokenizerKind} tokenizer (${checkpoint}).`,
    )
  }
  // The parent's folder name is not the child's: the child is named by the caller or after its parent.
  const { runName: _parentName, ...storedPaths } = isRecord(stored.paths) ? stored.paths : {}
  return resolveRunConfig(
    {
      model,
      training: { ...storedTraining, ...given?.training, tokenizer: tokenizerKind },
      paths: { ...storedPaths, ...given?.paths },
    },
    machine,
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// ─── fine-tuning a model ─────────────────────────────────────────────────────────────────────────

/** Defaults for fine-tuning, applied only where the caller gave no value. */
export const FINE_TUNE_DEFAULTS = { learningRate: 1e-4, warmup: 10 } as const

/** The CLI's flag for each model field, for messages. */
const MODEL_FLAGS = {
  vocabSize: '--vocab-size',
  embedDim: '--embed-dim',
  numLayers: '--num-layers',
  numHeads: '--num-heads',
  seqLen: '--seq-len',
  architecture: '--arch',
  numKvHeads: '--num-kv-heads',
  ffnDim: '--ffn-dim',
} as const

/**
 * The run config of a fine-tuning run, before the machine's checks: the model's shape and tokenizer
 * kind (a different value the caller set is refused, naming the flag), the fine-tuning defaults, then
 * the caller's settings.
 */
export function fineTuneConfig(given: RunConfigInput | undefined, initial: InitialModel): RunConfigInput {
  // An absent architecture is gpt2, as everywhere.
  const shape = { architecture: 'gpt2' as const, ...fromModelConfig(initial.model) }
  // Rotary positions hold no weights: a Llama-family model trains on any window up to its context.
  const window = given?.model?.seqLen
  if (initial.model.architecture === 'llama' && window !== undefined && window < shape.seqLen) shape.seqLen = window
  for (const [field, flag] of Object.entries(MODEL_FLAGS) as Array<[keyof typeof MODEL_FLAGS, string]>) {
    const value = given?.model?.[field]
    if (value !== undefined && value !== shape[field]) {
      if (field === 'seqLen' && initial.model.architecture === 'llama') {
        throw new UserError(
          'invalid-config',
          `${flag} ${value} is longer than the context of the model being fine-tuned (${shape.seqLen} in ${initial.source}); give at most ${shape.seqLen}.`,
        )
      }
      const model = shape[field] === undefined ? `${shape.architecture}, which has no ${flag}` : `${String(shape[field])}`
      throw new UserError(
        'invalid-config',
        `${flag} ${value} differs from the model being fine-tuned (${model} in ${initial.source}); leave it out to keep the model's shape.`,
      )
    }
  }
  const tokenizer = given?.training?.tokenizer
  if (tokenizer !== undefined && tokenizer !== initial.tokenizerKind) {
    throw new UserError(
      'invalid-config',
      `--tokenizer ${tokenizer} differs from the tokenizer of the model being fine-tuned (${initial.tokenizerKind}); leave it out to keep its tokenizer.`,
    )
  }
  // The short default warmup must still leave the run a step at its peak rate (a warmup as long
  // as the run is refused).
  const maxSteps = given?.training?.maxSteps
  const warmup = maxSteps === undefined ? FINE_TUNE_DEFAULTS.warmup : Math.min(FINE_TUNE_DEFAULTS.warmup, Math.max(0, maxSteps - 1))
  const { architecture, ...model } = shape
  return {
    ...given,
    model: architecture === 'gpt2' ? model : { ...model, architecture },
    training: { ...FINE_TUNE_DEFAULTS, warmup, ...given?.training, tokenizer: initial.tokenizerKind },
  }
}

/** The shortest window a fine-tuning run's context is halved to before it is refused as too large. */
const MIN_FITTED_WINDOW = 64

/**
 * The resolved config of a fine-tuning run. A large model (GPT-2 124M at context 1024) does not fit
 * one WebAssembly memory with the default batch on every core; where the caller left the batch or
 * the threads unset, they become one window per sphere on as many spheres as fit. A Llama-family
 * model whose whole context fits on no sphere count (SmolLM2's 8192 positions) trains on the longest
 * halved window that does, unless the caller gave the window (--seq-len).
 */
function fineTunedConfig(given: RunConfigInput | undefined, initial: InitialModel, machine: MachineInfo): ResolvedRunConfig {
  const input = fineTuneConfig(given, initial)
  const shorter = initial.model.architecture === 'llama' && given?.model?.seqLen === undefined
  let first: unknown
  for (let seqLen = input.model!.seqLen!; ; seqLen = Math.floor(seqLen / 2)) {
    try {
      return fittedRunConfig(given, { ...input, model: { ...input.model, seqLen } }, machine)
    } catch (error) {
      first ??= error
      if (!shorter || !(error instanceof UserError) || error.code !== 'invalid-config' || seqLen <= MIN_FITTED_WINDOW) throw first
    }
  }
}

/** Where the caller left the batch or the threads unset: one window per sphere on as many spheres as fit. */
function fittedRunConfig(given: RunConfigInput | undefined, input: RunConfigInput, machine: MachineInfo): ResolvedRunConfig {
  try {
    return resolveRunConfig(input, machine)
  } catch (error) {
    const fixedBatch = given?.training?.batchSize
    const fixedThreads = given?.training?.threads
    if (!(error instanceof UserError) || error.code !== 'invalid-config') throw error
    if (fixedBatch !== undefined && fixedThreads !== undefined) throw error
    for (let threads = fixedThreads ?? Math.max(1, machine.cores); threads >= 1; threads--) {
      const training = { ...input.training, threads, batchSize: fixedBatch ?? threads }
      try {
        return resolveRunConfig({ ...input, training }, machine)
      } catch {
        if (fixedThreads !== undefined) break
      }
    }
    throw error
  }
}
