/**
 * Checkpoint metadata and run listings: one schema gives the engine its runtime validation (a file
 * read from disk is untrusted) and the UI its types. The file format itself lives in
 * src/main/engine/checkpoints/.
 */
import { z } from 'zod'
import { TokenizerKind } from './tokenizer'

/** Value of `format` in every checkpoint's safetensors `__metadata__`. */
export const CHECKPOINT_FORMAT = 'cllm-checkpoint'
/** The one `format_version` this build reads and writes. */
export const CHECKPOINT_FORMAT_VERSION = 1

const positiveInt = z.number().int().positive()

/** The model's shape, as in src/main/engine/model/trainer.ts (ModelConfig). */
export const CheckpointModelConfig = z
  .object({
    vocabSize: positiveInt,
    seqLen: positiveInt,
    dModel: positiveInt,
    nLayers: positiveInt,
    nHeads: positiveInt,
  })
  .refine((c) => c.dModel % c.nHeads === 0, {
    message: 'nHeads must divide dModel',
    path: ['nHeads'],
  })
export type CheckpointModelConfig = z.infer<typeof CheckpointModelConfig>

/**
 * What the run was configured with: `model` in the trainer's terms (ModelConfig), plus whatever else
 * the session records (e.g. the parsed RunConfig, the AdamW constants), kept as given.
 */
export const CheckpointRunConfig = z.looseObject({ model: CheckpointModelConfig })
export type CheckpointRunConfig = z.infer<typeof CheckpointRunConfig>

/** A loss at a step; null when it was not a finite number (a diverged run still checkpoints). */
export const StepLoss = z.object({
  step: z.number().int().nonnegative(),
  loss: z.number().nullable(),
})
export type StepLoss = z.infer<typeof StepLoss>

export const CheckpointLosses = z.object({
  /** Latest training loss. */
  train: z.number().nullable(),
  /** Latest validation loss; null before the first evaluation. Retention's "best" compares this. */
  val: z.number().nullable(),
  recentTrain: z.array(StepLoss).default([]),
  recentVal: z.array(StepLoss).default([]),
  /** Mean training loss over the last `trainWindow` steps: what summaries show (`train` is one batch's). */
  trainMean: z.number().nullable().optional(),
  trainWindow: z.number().int().nonnegative().optional(),
})
export type CheckpointLosses = z.infer<typeof CheckpointLosses>

/**
 * The validation loss measured at `step` itself (a checkpoint's own step), or null: a checkpoint
 * never shows, and is never ranked "best" by, a loss measured at an earlier step. Read from
 * `recentVal`, which records the step of every measurement (older checkpoints included).
 */
export function valLossAtStep(losses: Pick<CheckpointLosses, 'recentVal'>, step: number): number | null {
  for (let i = losses.recentVal.length - 1; i >= 0; i--) {
    const entry = losses.recentVal[i]
    if (entry.step === step) return entry.loss !== null && Number.isFinite(entry.loss) ? entry.loss : null
    if (entry.step < step) break
  }
  return null
}

/**
 * The typed contents of a checkpoint's `__metadata__` (safetensors stores only strings; the engine
 * encodes these fields as strings). `format`, `format_version` and the checksums are file-level and
 * checked on load, so they are not part of this object.
 */
export const CheckpointMetadata = z.object({
  config: CheckpointRunConfig,
  /** `bpe`: `tokenizer` is a Hugging Face tokenizer.json text. `word`: the word tokenizer's own serialisation. */
  tokenizerKind: TokenizerKind,
  tokenizer: z.string(),
  /** Training steps done (the session's count). */
  step: z.number().int().nonnegative(),
  epoch: z.number().nonnegative(),
  /** Data cursor / sampler state, opaque JSON owned by the session. */
  sampler: z.json(),
  /** RNG state, opaque JSON owned by the session. */
  rng: z.json(),
  losses: CheckpointLosses,
  created: z.iso.datetime({ offset: true }),
  corpusFingerprint: z.string(),
})
export type CheckpointMetadata = z.infer<typeof CheckpointMetadata>
export type CheckpointMetadataInput = z.input<typeof CheckpointMetadata>

/** `run.json` beside a run's checkpoints. */
export const RunInfo = z.looseObject({
  name: z.string().min(1),
  created: z.iso.datetime({ offset: true }),
  config: CheckpointRunConfig,
  corpusFingerprint: z.string(),
})
export type RunInfo = z.infer<typeof RunInfo>
export type RunInfoInput = z.input<typeof RunInfo>

/** One line of `metrics.jsonl`. Extra fields are kept. */
export const MetricsRecord = z.looseObject({
  step: z.number().int().nonnegative(),
  loss: z.number().nullable(),
  val_loss: z.number().nullable().optional(),
  lr: z.number(),
  tokens_per_s: z.number(),
  /** ISO time the record was written. */
  time: z.iso.datetime({ offset: true }),
})
export type MetricsRecord = z.infer<typeof MetricsRecord>

export const CheckpointKind = z.enum(['step', 'final', 'other'])
export type CheckpointKind = z.infer<typeof CheckpointKind>

/** A checkpoint file as listed (read from its header only; the tensor checksum is checked on load). */
export const CheckpointEntry = z.object({
  file: z.string(),
  path: z.string(),
  kind: CheckpointKind,
  sizeBytes: z.number().int().nonnegative(),
  status: z.enum(['ok', 'corrupt']),
  /** Why a corrupt file was refused. */
  problem: z.string().optional(),
  /** With --verify, what was checked in a file that passed. */
  verified: z.array(z.string()).optional(),
  step: z.number().int().nonnegative().nullable(),
  epoch: z.number().nullable(),
  trainLoss: z.number().nullable(),
  valLoss: z.number().nullable(),
  created: z.string().nullable(),
  /** Lowest validation loss among the run's readable checkpoints. */
  best: z.boolean(),
})
export type CheckpointEntry = z.infer<typeof CheckpointEntry>

export const RunEntry = z.object({
  /** The run folder's name (run.json's own name is in `info`). */
  name: z.string(),
  path: z.string(),
  /** run.json, or null when it is missing or unreadable (see `problem`). */
  info: RunInfo.nullable(),
  problem: z.string().optional(),
  created: z.string().nullable(),
  checkpoints: z.array(CheckpointEntry),
})
export type RunEntry = z.infer<typeof RunEntry>

export const RunListing = z.object({ dir: z.string(), runs: z.array(RunEntry) })
export type RunListing = z.infer<typeof RunListing>

/**
 * The Ollama Modelfile written beside a GGUF export, named after the model file so that two exports
 * in one folder keep one each ("notes.gguf" → "notes.Modelfile"), and the model name to give
 * `ollama create` (lower case letters, digits, "-", "_" and "." only).
 */
export function ollamaNames(ggufFile: string): { modelfile: string; model: string } {
  const stem = ggufFile.replace(/\.gguf$/i, '') || 'model'
  const model = stem.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+/, '') || 'model'
  return { modelfile: `${stem}.Modelfile`, model }
}
