/**
 * Starting a run from a model on disk (`--init-from`): a Hugging Face GPT-2 folder or one of our
 * checkpoints gives the run its shape, its tokenizer and its weights; the optimizer starts fresh at
 * step 0 in a new run folder (the source is never written). Fine-tuning gets its own defaults — a
 * lower learning rate and a short warmup — unless the caller set them.
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import { resolveRunConfig, type MachineInfo, type ResolvedRunConfig, type RunConfigInput } from '../../../shared/training'
import { recordedChatTemplate } from '../chat/model-template'
import { loadCheckpoint } from '../checkpoints'
import { importHuggingFace, type InitialModel } from '../checkpoints/import-hf'
import type { ModelConfig, NamedTensor, TrainerState } from '../model/trainer'
import { parseTokenizer } from '../tokenizer'
import { fromModelConfig } from './config'

export type { InitialModel } from '../checkpoints/import-hf'

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

/** A Hugging Face folder or a checkpoint file, by what is at `path`. */
export async function loadInitialModel(path: string): Promise<InitialModel> {
  const absolute = resolve(path)
  const info = await stat(absolute).catch(() => undefined)
  if (!info) throw new UserError('not-found', `Nothing to start from at ${absolute}: no such file or folder.`)
  if (info.isDirectory()) return importHuggingFace(absolute)
  const { metadata, state } = await loadCheckpoint(absolute)
  const tokenizer = parseTokenizer(metadata.tokenizer, absolute)
  const model = metadata.config.model as ModelConfig
  const chat = recordedChatTemplate(metadata.config)
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw new UserError(
      'corrupt-checkpoint',
      `Cannot start from checkpoint ${absolute}: its tokenizer has ${tokenizer.vocabSize} tokens but its model ${model.vocabSize}.`,
    )
  }
  return {
    source: absolute,
    model,
    tokenizerKind: metadata.tokenizerKind,
    tokenizer: metadata.tokenizer,
    params: state.params,
    ...(chat ? { chat } : {}),
  }
}

/**
 * The run config of a fine-tuning run: the model's shape and tokenizer kind (a different value the
 * caller set is refused, naming the flag), the fine-tuning defaults, then the caller's settings.
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

/**
 * The resolved config of a fine-tuning run. A large model (GPT-2 124M at context 1024) does not fit
 * one WebAssembly memory with the default batch on every core; where the caller left the batch or
 * the threads unset, they become one window per sphere on as many spheres as fit. A Llama-family
 * model whose whole context fits on no sphere count (SmolLM2's 8192 positions) trains on the longest
 * halved window that does, unless the caller gave the window (--seq-len).
 */
export function fineTuneRunConfig(
  given: RunConfigInput | undefined,
  initial: InitialModel,
  machine: MachineInfo,
): ResolvedRunConfig {
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

/** The shortest window a fine-tuning run's context is halved to before it is refused as too large. */
const MIN_FITTED_WINDOW = 64

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

/** The trainer's starting state: the model's weights, zero AdamW moments, step 0. */
export function initialState(initial: InitialModel): TrainerState {
  const zeros = (t: NamedTensor): NamedTensor => ({ name: t.name, shape: t.shape, data: new Float32Array(t.data.length) })
  return { step: 0, params: initial.params, adamM: initial.params.map(zeros), adamV: initial.params.map(zeros) }
}
