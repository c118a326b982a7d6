/**
 * The run config at the session's edges: the machine it is checked against, turning it into the
 * trainer's model shape and back, and recording it in checkpoints. The config itself is resolved in
 * session/resolve-config.ts.
 */
import { availableParallelism, totalmem } from 'node:os'
import type { MachineInfo, ModelSection, ResolvedRunConfig } from '../../../shared/training'
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
