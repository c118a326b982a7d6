/**
 * Starting a run from a model on disk (`--init-from`): a Hugging Face GPT-2 folder or one of our
 * checkpoints gives the run its shape, its tokenizer and its weights; the optimizer starts fresh at
 * step 0 in a new run folder (the source is never written). Fine-tuning gets its own defaults — a
 * lower learning rate and a short warmup — unless the caller set them.
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import type { MachineInfo, ResolvedRunConfig, RunConfigInput } from '../../../shared/training'
import { recordedChatTemplate } from '../chat/model-template'
import { loadCheckpoint } from '../checkpoints'
import { importHuggingFace, type InitialModel } from '../checkpoints/import-hf'
import type { ModelConfig, NamedTensor, TrainerState } from '../model/trainer'
import { parseTokenizer } from '../tokenizer'
import { resolveConfig } from './resolve-config'

export type { InitialModel } from '../checkpoints/import-hf'
export { FINE_TUNE_DEFAULTS } from './resolve-config'

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

/** The resolved config of a fine-tuning run (session/resolve-config.ts). */
export function fineTuneRunConfig(
  given: RunConfigInput | undefined,
  initial: InitialModel,
  machine: MachineInfo,
): ResolvedRunConfig {
  return resolveConfig(given, { from: 'model', initial }, machine)
}

/** The trainer's starting state: the model's weights, zero AdamW moments, step 0. */
export function initialState(initial: InitialModel): TrainerState {
  const zeros = (t: NamedTensor): NamedTensor => ({ name: t.name, shape: t.shape, data: new Float32Array(t.data.length) })
  return { step: 0, params: initial.params, adamM: initial.params.map(zeros), adamV: initial.params.map(zeros) }
}
