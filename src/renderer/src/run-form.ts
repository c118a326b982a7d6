/**
 * The Train view's settings form, as plain data: the fields (one per CLLM flag), the model-size
 * presets, and the check of a filled-in form with the engine's own schema, so an impossible config
 * is named field by field before Train is pressed, and the size of the run is estimated as it is
 * typed. Pure: the store and the tests use it without a page.
 */
import type { DataKindChoice, LossOn } from '../../shared/chat'
import { formatBytes } from '../../shared/units'
import {
  ARCHITECTURES,
  DEFAULT_ARCHITECTURE,
  RunConfig,
  architectureField,
  estimateMemory,
  maxSpheres,
  resolveRunConfig,
  MACHINE_MEMORY_SHARE,
  WASM32_MAX_BYTES,
  type MachineInfo,
  type MemoryEstimate,
  type RunConfigInput,
  type ArchitectureName,
  type TokenizerKind,
} from '../../shared/training'
import type { SplitMethod } from '../../shared/tokenizer'

/** The fields a size preset sets. */
export type PresetField = 'vocabSize' | 'embedDim' | 'numLayers' | 'numHeads' | 'seqLen'
export type ModelField = PresetField | 'numKvHeads'
export type TrainingField =
  | 'batchSize'
  | 'learningRate'
  | 'epochs'
  | 'maxSteps'
  | 'threads'
  | 'warmup'
  | 'evalInterval'
  | 'checkpointInterval'
  | 'keep'
  | 'seed'
  | 'weightDecay'
  | 'gradClip'
  | 'valFraction'
export type FieldKey = ModelField | TrainingField

/** What an <input type="number"> gives back: a number, or the text when it is not one ('' when empty). */
export type FieldValue = number | string

export interface FieldSpec {
  key: FieldKey
  section: 'model' | 'training'
  label: string
  /** The `cllm train` flag, shown so the CLI and the app speak the same words. */
  flag: string
  hint: string
  /** May be left empty (the engine then decides). */
  optional?: boolean
  step?: number | 'any'
  min?: number
  /** Shown under "More settings" rather than in the main grid. */
  advanced?: boolean
  /** Only for this architecture: hidden, and not sent, for the others. */
  architecture?: ArchitectureName
}

export const FIELDS: readonly FieldSpec[] = [
  {
    key: 'vocabSize',
    section: 'model',
    label: 'Vocabulary',
    flag: '--vocab-size',
    hint: 'Tokens the tokenizer learns',
    min: 6,
  },
  {
    key: 'embedDim',
    section: 'model',
    label: 'Embedding size',
    flag: '--embed-dim',
    hint: 'Width of every layer',
    min: 1,
  },
  {
    key: 'numLayers',
    section: 'model',
    label: 'Layers',
    flag: '--num-layers',
    hint: 'Transformer blocks',
    min: 1,
  },
  {
    key: 'numHeads',
    section: 'model',
    label: 'Heads',
    flag: '--num-heads',
    hint: 'Must divide the embedding size',
    min: 1,
  },
  {
    key: 'seqLen',
    section: 'model',
    label: 'Context',
    flag: '--seq-len',
    hint: 'Tokens the model sees at once',
    min: 1,
  },
  {
    key: 'numKvHeads',
    section: 'model',
    label: 'Key/value heads',
    flag: '--num-kv-heads',
    hint: 'Grouped-query attention: must divide the heads; empty: as many as the heads',
    optional: true,
    min: 1,
    architecture: 'llama',
  },
  {
    key: 'batchSize',
    section: 'training',
    label: 'Batch size',
    flag: '--batch-size',
    hint: 'Windows per step, shared by the spheres',
    min: 1,
  },
  {
    key: 'learningRate',
    section: 'training',
    label: 'Learning rate',
    flag: '--learning-rate',
    hint: 'Peak, after warmup',
    step: 'any',
    min: 0,
  },
  {
    key: 'epochs',
    section: 'training',
    label: 'Epochs',
    flag: '--epochs',
    hint: 'Passes over the training tokens',
    min: 1,
  },
  {
    key: 'maxSteps',
    section: 'training',
    label: 'Max steps',
    flag: '--max-steps',
    hint: 'Optional: the run’s total; overrides epochs',
    optional: true,
    min: 1,
  },
  {
    key: 'threads',
    section: 'training',
    label: 'Spheres',
    flag: '--threads',
    hint: 'Worker threads: at most the batch size and 4 × the cores',
    min: 1,
  },
  {
    key: 'warmup',
    section: 'training',
    label: 'Warmup steps',
    flag: '--warmup',
    hint: 'Empty: 5% of the run, at most 100',
    optional: true,
    min: 0,
    advanced: true,
  },
  {
    key: 'evalInterval',
    section: 'training',
    label: 'Eval every',
    flag: '--eval-interval',
    hint: 'Steps between validation losses',
    min: 1,
    advanced: true,
  },
  {
    key: 'checkpointInterval',
    section: 'training',
    label: 'Checkpoint every',
    flag: '--checkpoint-interval',
    hint: 'Steps; 0 saves only on stop and at the end',
    min: 0,
    advanced: true,
  },
  {
    key: 'keep',
    section: 'training',
    label: 'Keep',
    flag: '--keep',
    hint: 'Periodic checkpoints kept (plus the best)',
    min: 1,
    advanced: true,
  },
  {
    key: 'seed',
    section: 'training',
    label: 'Seed',
    flag: '--seed',
    hint: 'Same seed, same run',
    min: 0,
    advanced: true,
  },
  {
    key: 'weightDecay',
    section: 'training',
    label: 'Weight decay',
    flag: '--weight-decay',
    hint: 'AdamW decay of the weights (not biases or LayerNorm)',
    step: 'any',
    min: 0,
    advanced: true,
  },
  {
    key: 'gradClip',
    section: 'training',
    label: 'Gradient clip',
    flag: '--grad-clip',
    hint: 'Largest gradient norm; 0 turns clipping off',
    step: 'any',
    min: 0,
    advanced: true,
  },
  {
    key: 'valFraction',
    section: 'training',
    label: 'Validation share',
    flag: '--val-fraction',
    hint: 'Share of the text held out to measure validation loss (at most 0.5)',
    step: 'any',
    min: 0,
    advanced: true,
  },
]

/** The engine's names for fields (`embedDim`), as the form labels them ("Embedding size"). */
const LABEL_OF: ReadonlyMap<string, string> = new Map(
  FIELDS.map((field) => [field.key, field.label]),
)

/**
 * The engine's sentences name fields by their config names ("must divide embedDim"); in the form
 * they read with the labels the user sees ("must divide Embedding size"). A leading section path
 * ("model: ") is dropped.
 */
export function withFieldLabels(message: string): string {
  return (
    message
      .replace(/^(model|training|paths)(\.[A-Za-z]+)?: /, '')
      // Config names are camelCase (embedDim, batchSize); plain words ("threads", "keep") stay as they are.
      .replace(/\b[a-z]+[A-Z][A-Za-z]*\b/g, (word) => {
        const label = LABEL_OF.get(word)
        return label === undefined ? word : label
      })
  )
}

export type RunForm = Record<FieldKey, FieldValue> & {
  tokenizer: TokenizerKind
  split: SplitMethod
  /** Plain text or chat data (the Data view's choice for a folder holding both). */
  data: DataKindChoice
  /** Chat data: the loss on the answers only, or on all tokens. */
  lossOn: LossOn
  architecture: ArchitectureName
}

/** The architectures as the form offers them: a short name, and what it is under the field. */
export const ARCHITECTURE_CHOICES: readonly { id: ArchitectureName; label: string; detail: string }[] =
  ARCHITECTURES.map((id) =>
    id === 'llama'
      ? { id, label: 'Llama', detail: 'Rotary positions, RMSNorm, SwiGLU, as SmolLM2' }
      : { id, label: 'GPT-2', detail: 'Learned positions, LayerNorm, GELU' },
  )

/** Whether a field applies to the form's architecture. */
export function fieldApplies(field: FieldSpec, form: Pick<RunForm, 'architecture'>): boolean {
  return field.architecture === undefined || field.architecture === form.architecture
}

export interface Preset {
  id: 'tiny' | 'small'
  label: string
  description: string
  model: Record<PresetField, number>
  training: { batchSize: number; learningRate: number }
}

/** Tiny is the original CLLM example's defaults; Small is the issue's "small" benchmark model. Either architecture. */
export const PRESETS: readonly Preset[] = [
  {
    id: 'tiny',
    label: 'Tiny',
    description: 'The original CLLM example: learns in a minute',
    model: { vocabSize: 500, embedDim: 64, numLayers: 2, numHeads: 4, seqLen: 32 },
    training: { batchSize: 4, learningRate: 0.001 },
  },
  {
    id: 'small',
    label: 'Small',
    description: 'Writes better text: measure its time below',
    model: { vocabSize: 4096, embedDim: 256, numLayers: 4, numHeads: 8, seqLen: 128 },
    training: { batchSize: 16, learningRate: 0.0005 },
  },
]

const MODEL_FIELDS: readonly PresetField[] = [
  'vocabSize',
  'embedDim',
  'numLayers',
  'numHeads',
  'seqLen',
]

/** The form a first start shows: the Tiny preset with the schema's own training defaults. */
export function defaultForm(cores = 1): RunForm {
  const tiny = PRESETS[0]
  return {
    ...tiny.model,
    ...tiny.training,
    architecture: DEFAULT_ARCHITECTURE,
    numKvHeads: '',
    tokenizer: 'bpe',
    split: 'blocks',
    data: 'auto',
    lossOn: 'answers',
    epochs: 1,
    maxSteps: '',
    threads: Math.max(1, Math.min(cores, tiny.training.batchSize)),
    warmup: '',
    evalInterval: 100,
    checkpointInterval: 500,
    keep: 3,
    seed: 42,
    weightDecay: 0.01,
    gradClip: 1,
    valFraction: 0.1,
  }
}

export function applyPreset(form: RunForm, preset: Preset): void {
  Object.assign(form, preset.model, preset.training)
}

/** The preset whose model the form holds, or 'custom'. */
export function matchingPreset(form: RunForm): Preset['id'] | 'custom' {
  const match = PRESETS.find((preset) =>
    MODEL_FIELDS.every((field) => toNumber(form[field]) === preset.model[field]),
  )
  return match?.id ?? 'custom'
}

/** '' → undefined (left out); text that is not a number → NaN, which the schema names as wrong. */
function toNumber(value: FieldValue): number | undefined {
  if (typeof value === 'number') return value
  const trimmed = value.trim()
  return trimmed === '' ? undefined : Number(trimmed)
}

/** The config the engine receives: empty fields are left out so its defaults apply. */
export function formToConfig(form: RunForm): RunConfigInput {
  const model: Record<string, number | string | undefined> = {
    ...architectureField(form.architecture),
  }
  const training: Record<string, number | string | undefined> = {
    tokenizer: form.tokenizer,
    split: form.split,
    data: form.data,
    lossOn: form.lossOn,
  }
  for (const field of FIELDS) {
    if (!fieldApplies(field, form)) continue
    const value = toNumber(form[field.key])
    const target = field.section === 'model' ? model : training
    // A required field left empty is sent as NaN, so it is reported rather than silently defaulted.
    if (value !== undefined) target[field.key] = value
    else if (!field.optional) target[field.key] = Number.NaN
  }
  return { model, training } as RunConfigInput
}

/**
 * A measured step time as the user reads it: the run's total in minutes when its steps are known
 * ("≈ 12 min for 1,500 steps"), else the time of one step.
 */
export function stepTimeEstimate(msPerStep: number, steps: number | null): string {
  if (steps === null)
    return `${(msPerStep / 1000).toFixed(msPerStep < 1000 ? 2 : 1)} s per step (tokenize to know the steps)`
  const minutes = (msPerStep * steps) / 60_000
  const shown = minutes < 1 ? '< 1 min' : `≈ ${Math.round(minutes).toLocaleString('en-US')} min`
  return `${shown} for ${steps.toLocaleString('en-US')} steps`
}

/** Why the run's memory is capped where it is, in one sentence for the estimate. */
export function memoryLimitReason(limit: number, machine: MachineInfo): string {
  if (limit === WASM32_MAX_BYTES) {
    return 'The most one WebAssembly memory can address: the spheres share a single 32-bit memory, whatever the machine has.'
  }
  return `${Math.round(MACHINE_MEMORY_SHARE * 100)}% of this machine’s ${formatBytes(machine.totalMemoryBytes)}, leaving the rest to the system.`
}

export interface FormCheck {
  /** The config to send, or null while a field is wrong. */
  config: RunConfigInput | null
  /** One sentence per wrong field, by field. */
  fieldErrors: Partial<Record<FieldKey | 'tokenizer', string>>
  /** A problem of the whole config (too big for memory), or null. */
  configError: string | null
  /** Size of the run, when the model's fields are valid. */
  estimate: MemoryEstimate | null
  /** What the run may use: the smaller of one WebAssembly memory and the machine's share. */
  memoryLimit: number
}

/**
 * The engine's checks, run in the page: the schema's field rules (heads divide the embedding, vocab
 * within the tokenizer's limits, …) and the memory check of `resolveRunConfig`.
 */
export function checkForm(form: RunForm, machine: MachineInfo): FormCheck {
  const config = formToConfig(form)
  const memoryLimit = Math.min(
    WASM32_MAX_BYTES,
    Math.floor(machine.totalMemoryBytes * MACHINE_MEMORY_SHARE),
  )
  const fieldErrors: FormCheck['fieldErrors'] = {}
  const parsed = RunConfig.safeParse(config)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[1]
      if (typeof key === 'string' && !(key in fieldErrors)) {
        fieldErrors[key as FieldKey] = withFieldLabels(issue.message)
      }
    }
  }
  const modelValid = MODEL_FIELDS.every((field) => !fieldErrors[field]) && !fieldErrors.numKvHeads
  const batch = toNumber(form.batchSize)
  const threads = toNumber(form.threads) ?? machine.cores
  if (batch !== undefined && !fieldErrors.threads && threads > maxSpheres(batch, machine.cores)) {
    fieldErrors.threads = `At most ${maxSpheres(batch, machine.cores)}: the batch size or 4 × ${machine.cores} cores`
  }
  const estimate =
    modelValid && !fieldErrors.batchSize && !fieldErrors.threads && batch !== undefined
      ? estimateMemory(
          {
            ...(Object.fromEntries(MODEL_FIELDS.map((f) => [f, toNumber(form[f])])) as Record<
              PresetField,
              number
            >),
            architecture: form.architecture,
            ...(form.architecture === 'llama' && toNumber(form.numKvHeads) !== undefined
              ? { numKvHeads: toNumber(form.numKvHeads) }
              : {}),
          },
          batch,
          threads,
        )
      : null
  let configError: string | null = null
  if (parsed.success) {
    try {
      resolveRunConfig(config, machine)
    } catch (error) {
      configError = withFieldLabels(error instanceof Error ? error.message : String(error))
    }
  }
  const ok = parsed.success && configError === null
  return { config: ok ? config : null, fieldErrors, configError, estimate, memoryLimit }
}

/**
 * A queued run's settings at a glance — "Tiny · 1,000 steps · lr 0.001", "Custom 32d · 1 layer · 2
 * epochs · lr 0.003" — from the config as it was queued (anything not a number reads as a dash).
 */
export function queuedConfigSummary(config: unknown, initFrom?: string): string {
  const sections = (typeof config === 'object' && config !== null ? config : {}) as {
    model?: Record<string, unknown>
    training?: Record<string, unknown>
  }
  const model = sections.model ?? {}
  const training = sections.training ?? {}
  const number = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) ? value : undefined
  let size: string
  if (initFrom !== undefined)
    size = `From ${initFrom.split(/[\\/]/).filter(Boolean).pop() ?? initFrom}`
  else {
    const preset = PRESETS.find((candidate) =>
      MODEL_FIELDS.every((field) => number(model[field]) === candidate.model[field]),
    )
    const layers = number(model.numLayers)
    size = preset
      ? preset.label
      : `Custom ${number(model.embedDim) ?? '—'}d · ${layers ?? '—'} layer${layers === 1 ? '' : 's'}`
  }
  const maxSteps = number(training.maxSteps)
  const epochs = number(training.epochs) ?? 1
  const length =
    maxSteps !== undefined
      ? `${maxSteps.toLocaleString('en-US')} steps`
      : `${epochs} epoch${epochs === 1 ? '' : 's'}`
  const rate = number(training.learningRate)
  // Fine-tuning without a rate of its own gets the engine's fine-tuning default.
  return `${size} · ${length} · lr ${rate ?? 'default'}`
}
