/**
 * The run config at the session's edges: turning it into the trainer's model shape, recording it in
 * checkpoints, and merging a resumed checkpoint's config with what the caller changed.
 */
import { availableParallelism, totalmem } from 'node:os'
import { UserError } from '../../../shared/errors'
import {
  resolveRunConfig,
  type MachineInfo,
  type ModelSection,
  type ResolvedRunConfig,
  type RunConfigInput,
} from '../../../shared/training'
import type { CheckpointMetadata } from '../../../shared/checkpoint'
import { withLlamaDefaults } from '../model/architectures/llama'
import type { AdamWConfig, ModelConfig } from '../model/trainer'

export function thisMachine(): MachineInfo {
  return { cores: availableParallelism(), totalMemoryBytes: totalmem() }
}

/**
 * The trainer's model shape. A GPT-2 config is written as it always was (no `architecture` field, so
 * its checkpoints read the same to older builds); a Llama config is written with every default filled
 * in, so a later build with other defaults still rebuilds the same model.
 */
export function toModelConfig(model: ModelSection): ModelConfig {
  const shape: ModelConfig = {
    vocabSize: model.vocabSize,
    seqLen: model.seqLen,
    dModel: model.embedDim,
    nLayers: model.numLayers,
    nHeads: model.numHeads,
  }
  if (model.architecture !== 'llama') return shape
  return withLlamaDefaults({
    ...shape,
    architecture: 'llama',
    ...defined({
      nKvHeads: model.numKvHeads, ffnDim: model.ffnDim, normEps: model.normEps, ropeTheta: model.ropeTheta,
      tiedEmbeddings: model.tiedEmbeddings, qkvBias: model.qkvBias,
    }),
  })
}

export function fromModelConfig(model: ModelConfig): ModelSection {
  const section: ModelSection = {
    vocabSize: model.vocabSize,
    seqLen: model.seqLen,
    embedDim: model.dModel,
    numLayers: model.nLayers,
    numHeads: model.nHeads,
  }
  if (model.architecture !== 'llama') return section
  return {
    ...section,
    architecture: 'llama',
    ...defined({
      numKvHeads: model.nKvHeads, ffnDim: model.ffnDim, normEps: model.normEps, ropeTheta: model.ropeTheta,
      tiedEmbeddings: model.tiedEmbeddings, qkvBias: model.qkvBias,
    }),
  }
}

/** The fields that are set (exactOptionalPropertyTypes-safe spreading). */
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>
}

export function adamwOf(config: ResolvedRunConfig): AdamWConfig {
  const { beta1, beta2, eps, weightDecay, gradClip } = config.training
  return { beta1, beta2, eps, weightDecay, gradClip }
}

/** What a checkpoint's `config` holds: the model in the trainer's terms, plus the run's settings. */
export function checkpointConfig(config: ResolvedRunConfig): CheckpointMetadata['config'] {
  return { model: toModelConfig(config.model), training: config.training, paths: config.paths }
}

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
  tokenizerKind: 'bpe' | 'word',
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
