/**
 * The model card (`README.md`) of an exported Hugging Face folder: what the model is, how big, what
 * it was trained on and how, and how well it did — drawn only from the checkpoint's own metadata
 * (and the run's `run.json` when it sits beside the checkpoint), so the card cannot claim what the
 * file does not hold. The corpus is named by its folder's base name, never a full local path.
 */
import { basename } from 'node:path'
import { valLossAtStep, type CheckpointMetadata } from '../../../shared/checkpoint'
import { trainLossLabel } from '../../../shared/training'
import { countParams } from '../model/architectures'
import { exportFormatOf } from './export-formats'
import type { SpecialToken } from './export-tokens'
import type { ModelConfig } from '../model/trainer'

/** What the card may add from run.json; every field optional (an old or foreign run lacks them). */
export interface RunFacts {
  name?: string
  corpusFolder?: string
}

interface SamplerFacts {
  range?: { start?: unknown; end?: unknown }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function format(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value)
  if (typeof value === 'string' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/** Training tokens: the sampler's token range (the training split, validation excluded). */
function trainingTokens(sampler: unknown): number | null {
  const range = isRecord(sampler) ? (sampler as SamplerFacts).range : undefined
  const start = range?.start
  const end = range?.end
  return typeof start === 'number' && typeof end === 'number' && end >= start ? end - start : null
}

export function modelCard(metadata: CheckpointMetadata, endOfText: SpecialToken | null, run: RunFacts = {}): string {
  const model = metadata.config.model as ModelConfig
  const exporter = exportFormatOf(model)
  const label = exporter.label(model)
  const hfClass = exporter.hfClass(model)
  const training = isRecord(metadata.config.training) ? metadata.config.training : {}
  const title = run.name ?? `CLLM Studio ${label} model`
  const tokens = trainingTokens(metadata.sampler)
  // The figures as the CLI, the checkpoint tables and the app give them: the training loss is the
  // mean of the last steps (one batch's loss only for checkpoints older than that mean), and the
  // validation loss one measured at the checkpoint's own step.
  const val = valLossAtStep(metadata.losses, metadata.step)
  const window = metadata.losses.trainWindow ?? 0
  const mean = metadata.losses.trainMean ?? null
  const train = mean ?? metadata.losses.train
  const trainLabel = mean !== null && window > 0 ? trainLossLabel(window) : 'training loss, last step'
  const lines = [
    '---',
    'library_name: transformers',
    'pipeline_tag: text-generation',
    `tags: [${exporter.ggufArchitecture(model)}, cllm-studio]`,
    '---',
    '',
    `# ${title}`,
    '',
    `A ${label}-architecture language model of ${format(countParams(model))} parameters, trained ` +
      'on the CPU with CLLM Studio (data-parallel worker threads, WebAssembly SIMD kernels, AdamW).',
    '',
    '## Model',
    '',
    '| | |',
    '|---|---|',
    `| Vocabulary | ${format(model.vocabSize)} tokens (byte-level BPE${endOfText === null ? '' : `, \`${endOfText.text}\` = ${endOfText.id}`}) |`,
    `| Context length | ${format(model.seqLen)} |`,
    `| Embedding size | ${format(model.dModel)} |`,
    ...exporter.cardRows(model).map(([label, value]) => `| ${label} | ${format(value)} |`),
    '',
    '## Training',
    '',
    '| | |',
    '|---|---|',
    `| Corpus | ${run.corpusFolder ? `folder \`${basename(run.corpusFolder)}\`, ` : ''}${tokens === null ? 'size not recorded' : `${format(tokens)} training tokens`} (fingerprint \`${metadata.corpusFingerprint}\`) |`,
    `| Steps | ${format(metadata.step)} (${metadata.epoch.toFixed(2)} epochs) |`,
  ]
  for (const [label, key] of [
    ['Batch size', 'batchSize'],
    ['Learning rate', 'learningRate'],
    ['Warmup steps', 'warmup'],
    ['Weight decay', 'weightDecay'],
    ['Gradient clipping', 'gradClip'],
    ['Validation share', 'valFraction'],
    ['Validation split', 'split'],
    ['Seed', 'seed'],
  ] as const) {
    if (training[key] !== undefined) lines.push(`| ${label} | ${format(training[key])} |`)
  }
  lines.push(
    `| Training loss | ${train === null ? 'not recorded' : `${train.toFixed(4)} nats/token (${trainLabel.replace(/^training loss, /, '')})`} |`,
    `| Validation loss | ${val === null ? `not measured at step ${format(metadata.step)}` : `${val.toFixed(4)} nats/token at step ${format(metadata.step)} (perplexity ${Math.exp(val).toFixed(2)})`} |`,
    `| Checkpoint written | ${metadata.created} |`,
    '',
    'No dropout; AdamW with a linear warmup and cosine decay; the loss is the mean cross-entropy of the ' +
      'next token.',
    '',
    '## Use',
    '',
    '```python',
    `from transformers import AutoTokenizer, ${hfClass}`,
    'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")',
    `model = ${hfClass}.from_pretrained("path/to/this/folder")`,
    'ids = tokenizer("Once upon a time", return_tensors="pt").input_ids',
    'print(tokenizer.decode(model.generate(ids, max_new_tokens=50)[0]))',
    '```',
    '',
    'The tokenizer is byte-level: `clean_up_tokenization_spaces` is false so that decoding gives the ' +
      'text back exactly.',
    '',
  )
  return lines.join('\n')
}
