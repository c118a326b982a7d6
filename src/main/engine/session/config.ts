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
import type { AdamWConfig, ModelConfig } from '../model/trainer'

export function thisMachine(): MachineInfo {
  return { cores: availableParallelism(), totalMemoryBytes: totalmem() }
}

export function toModelConfig(model: ModelSection): ModelConfig {
  return {
    vocabSize: model.vocabSize,
    seqLen: model.seqLen,
    dModel: model.embedDim,
    nLayers: model.numLayers,
    nHeads: model.numHeads,
  }
}

export function fromModelConfig(model: ModelConfig): ModelSection {
  return {
    vocabSize: model.vocabSize,
    seqLen: model.seqLen,
    embedDim: model.dModel,
    numLayers: model.nLayers,
    numHeads: model.nHeads,
  }
}

export function adamwOf(config: ResolvedRunConfig): AdamWConfig {
  const { beta1, beta2, eps, weightDecay, gradClip } = config.training
  return { beta1, beta2, eps, weightDecay, gradClip }
}

/** What a checkpoint's `config` holds: the model in the trainer's terms, plus the run's settings. */
export function checkpointConfig(config: ResolvedRunConfig): CheckpointMetadata['config'] {
  return { model: toModelConfig(config.model), training: config.training, paths: config.paths }
}

const MODEL_FIELDS = ['vocabSize', 'embedDim', 'numLayers', 'numHeads', 'seqLen'] as const

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
    if (value !== undefined && value !== model[field]) {
      throw new UserError(
        'invalid-config',
        `model.${field}: ${value} does not match the checkpoint's ${model[field]} (${checkpoint}); a resumed run keeps its model.`,
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
