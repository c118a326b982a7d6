import { UserError } from '../../../shared/errors'
import { architectureOf } from './architectures'
import { ARCHITECTURES, type AdamWConfig, type ModelConfig } from './trainer'

/** The largest thread count (as the run config allows); the kissing-sphere tree is then three rings deep. */
export const MAX_THREADS = 1024

/**
 * Refuses a model config that cannot be built, naming the field as the CLI spells it. Runs before any
 * memory is reserved or thread started.
 */
export function validateModelConfig(config: ModelConfig): void {
  positiveInt(config.vocabSize, '--vocab-size')
  positiveInt(config.seqLen, '--seq-len')
  positiveInt(config.dModel, '--embed-dim')
  positiveInt(config.nLayers, '--num-layers')
  positiveInt(config.nHeads, '--num-heads')
  if (config.architecture !== undefined && !ARCHITECTURES.includes(config.architecture)) {
    throw new UserError(
      'invalid-config',
      `--arch must be one of ${ARCHITECTURES.join(', ')}, got ${String(config.architecture)}.`,
    )
  }
  architectureOf(config).validate(config)
}

export function validateAdamW(adamw: AdamWConfig): void {
  const inOpenUnit = (value: number, flag: string): void => {
    if (!Number.isFinite(value) || value < 0 || value >= 1) {
      throw new UserError('invalid-config', `${flag} must be a number in [0, 1), got ${value}.`)
    }
  }
  inOpenUnit(adamw.beta1, 'AdamW beta1')
  inOpenUnit(adamw.beta2, 'AdamW beta2')
  if (!Number.isFinite(adamw.eps) || adamw.eps <= 0) {
    throw new UserError('invalid-config', `AdamW epsilon must be a positive number, got ${adamw.eps}.`)
  }
  if (!Number.isFinite(adamw.weightDecay) || adamw.weightDecay < 0) {
    throw new UserError('invalid-config', `--weight-decay must be a number ≥ 0, got ${adamw.weightDecay}.`)
  }
  if (!Number.isFinite(adamw.gradClip) || adamw.gradClip < 0) {
    throw new UserError('invalid-config', `--grad-clip must be a number ≥ 0 (0 disables clipping), got ${adamw.gradClip}.`)
  }
}

export function validateRun(batchSize: number, threads: number): void {
  positiveInt(batchSize, '--batch-size')
  positiveInt(threads, '--threads')
  if (threads > MAX_THREADS) {
    throw new UserError('invalid-config', `--threads must be at most ${MAX_THREADS}, got ${threads}.`)
  }
}

function positiveInt(value: number, flag: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new UserError('invalid-config', `${flag} must be a positive whole number, got ${value}.`)
  }
}
