/**
 * A trained model opened from one checkpoint file, for generation and evaluation: the checkpoint
 * is self-contained, so its tokenizer and weights are all that is needed.
 */
import { resolve } from 'node:path'
import { recordedChatTemplate } from '../chat/model-template'
import { ChatRunner } from '../chat/runner'
import { ChatTemplate, type ChatTemplateSource } from '../chat/template'
import { loadCheckpoint, type Checkpoint } from '../checkpoints'
import type { Trainer } from '../model/trainer'
import { createTrainer } from '../spheres/pool'
import { parseTokenizer, type Tokenizer } from '../tokenizer'
import { UserError } from '../../../shared/errors'
import { ADAMW_DEFAULTS, GenerateOptions, type EvaluationResult, type GenerateOptionsInput } from '../../../shared/training'
import type { ModelConfig } from '../model/trainer'
import { generateText, type GenerationResult } from './generate'
import { scoreTokens } from './scoring'

export interface OpenModelOptions {
  /** Spheres for the forward passes (default 1: generation runs one sequence at a time). */
  threads?: number
  /** Windows evaluated at once (the pool's batch). */
  batchSize?: number
}

export interface OpenModel {
  path: string
  checkpoint: Checkpoint
  tokenizer: Tokenizer
  trainer: Trainer
  /** Its chat template, when it was trained on chat data or started from a model with one. */
  chat?: ChatTemplateSource
  close(): Promise<void>
}

export async function openCheckpointModel(path: string, options: OpenModelOptions = {}): Promise<OpenModel> {
  const absolute = resolve(path)
  const checkpoint = await loadCheckpoint(absolute)
  const { metadata } = checkpoint
  const tokenizer = parseTokenizer(metadata.tokenizer, absolute)
  const model = metadata.config.model as ModelConfig
  if (tokenizer.vocabSize !== model.vocabSize) {
    throw new UserError(
      'corrupt-checkpoint',
      `Cannot use checkpoint ${absolute}: its tokenizer has ${tokenizer.vocabSize} tokens but its model ${model.vocabSize}.`,
    )
  }
  const threads = options.threads ?? 1
  const trainer = await createTrainer({
    model,
    adamw: { ...ADAMW_DEFAULTS, weightDecay: 0, gradClip: 0 },
    batchSize: Math.max(threads, options.batchSize ?? threads),
    threads,
    seed: 0,
  })
  try {
    trainer.setState(checkpoint.state)
  } catch (error) {
    await trainer.close()
    throw error
  }
  const chat = recordedChatTemplate(metadata.config)
  return { path: absolute, checkpoint, tokenizer, trainer, ...(chat ? { chat } : {}), close: () => trainer.close() }
}

/** Generates text after a prompt; `onText` receives the text as it is produced. */
export async function generateFromCheckpoint(
  model: OpenModel,
  input: GenerateOptionsInput,
  onText?: (text: string) => void,
  signal?: AbortSignal,
): Promise<GenerationResult> {
  return generateText(model.trainer, model.tokenizer, GenerateOptions.parse(input), onText, signal)
}

export interface EvaluateProgress {
  /** Tokens scored so far, of `total` (every token but each text's first). */
  done: number
  total: number
}

export interface EvaluateOptions {
  signal?: AbortSignal
  onProgress?: (progress: EvaluateProgress) => void
}

/**
 * Mean cross-entropy (nats per token) and perplexity of texts under the model. Each text is scored
 * on its own (see scoring.ts: every token but a text's first is predicted, in windows of seqLen),
 * encoded as a document of the training stream: after the family's BOS where it has one (Llama's
 * `<s>`), so that its first word is predicted too, as in training.
 */
export async function evaluateTexts(
  model: OpenModel,
  texts: readonly string[],
  chunk?: number,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  return evaluateTokenStreams(model, texts.map((text) => model.tokenizer.encode(text, 'document')), chunk, options)
}

/** The same over texts already encoded with the model's tokenizer (a run's validation split). */
export async function evaluateTokenStreams(
  model: OpenModel,
  streams: ReadonlyArray<ArrayLike<number>>,
  chunk?: number,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const total = streams.reduce((sum, ids) => sum + Math.max(0, ids.length - 1), 0)
  let done = 0
  let sumLoss = 0
  let tokens = 0
  options.onProgress?.({ done, total })
  for (const ids of streams) {
    const score = await scoreTokens(model.trainer, ids, chunk, {
      signal: options.signal,
      onScored: (scored) => {
        done += scored
        options.onProgress?.({ done, total })
      },
    })
    sumLoss += score.sumLoss
    tokens += score.tokens
  }
  if (tokens === 0) {
    throw new UserError('no-usable-text', 'The text is too short to score: it needs at least two tokens.')
  }
  const loss = sumLoss / tokens
  return { loss, perplexity: Math.exp(loss), tokens }
}

/** A chat with the model: refused for a model without a chat template. */
export function chatRunnerFor(model: OpenModel): ChatRunner {
  if (!model.chat) {
    throw new UserError(
      'invalid-input',
      `${model.path} has no chat template: it was trained on plain text, not on conversations. Use generate to continue a text.`,
    )
  }
  const config = model.checkpoint.metadata.config.model as ModelConfig
  return new ChatRunner(model.trainer, model.tokenizer, new ChatTemplate(model.chat), config.seqLen)
}
