/**
 * The file `cllm queue` reads: a JSON list of runs, each `{"folder": …, "config": {…}, "resume": …}`.
 * Every key is checked against what a run takes, so a misspelled setting ("learning-rate") is an
 * error naming it and the nearest valid key, instead of a run at the default silently. The values
 * are the engine's to check, when each run starts.
 */
import { UserError } from '../shared/errors'
import { ModelSection, PathsSection, TrainingSection } from '../shared/training'

export interface QueueFileItem {
  folder: string
  config?: Record<string, unknown>
  resume?: string
}

const ITEM_KEYS = ['folder', 'config', 'resume'] as const
const SECTIONS = {
  model: Object.keys(ModelSection.shape),
  training: Object.keys(TrainingSection.shape),
  paths: Object.keys(PathsSection.shape),
} as const
type Section = keyof typeof SECTIONS

/** The shape of the file, for `--help` and for errors about the list itself. */
export const QUEUE_FILE_EXAMPLE = `[
  { "folder": "notes", "config": { "training": { "learningRate": 0.003, "maxSteps": 400 } } },
  { "folder": "notes", "config": { "model": { "embedDim": 128, "numHeads": 8 }, "paths": { "runName": "wider" } } },
  { "folder": "notes", "resume": "checkpoints/run-a/checkpoint_step_400.safetensors", "config": { "training": { "maxSteps": 800 } } }
]`

export function queueFileHelp(): string {
  const keys = (section: Section) => SECTIONS[section].join(', ')
  return [
    '',
    'The file is a JSON list of runs; each run has:',
    '  folder   the corpus folder (relative to the file)',
    '  config   optional; the run config, in sections:',
    `             model:    ${keys('model')}`,
    `             training: ${keys('training')}`,
    `             paths:    ${keys('paths')} (checkpointDir relative to the file)`,
    '           anything left out takes the default of cllm train',
    '  resume   optional; a checkpoint to continue from (relative to the file)',
    'Example:',
    ...QUEUE_FILE_EXAMPLE.split('\n').map((line) => `  ${line}`),
    'An unknown key is refused before any run starts, with the nearest valid one.',
  ].join('\n')
}

export function parseQueueFile(json: unknown, file: string): QueueFileItem[] {
  const fail = (message: string): never => {
    throw new UserError('invalid-input', `Queue file ${file}: ${message}`)
  }
  if (!Array.isArray(json)) {
    fail(`must be a JSON list of runs, like [{"folder": "notes", "config": {…}}], not ${kindOf(json)}.`)
  }
  const list = json as unknown[]
  if (list.length === 0) fail('lists no runs; add at least one {"folder": …}.')
  return list.map((entry, index) => {
    const where = `run ${index + 1}`
    if (!isRecord(entry)) fail(`${where} must be an object like {"folder": "notes"}, not ${kindOf(entry)}.`)
    const item = entry as Record<string, unknown>
    for (const key of Object.keys(item)) {
      if (!(ITEM_KEYS as readonly string[]).includes(key)) fail(`${where}: ${unknownKey(key, itemCandidates())}`)
    }
    if (typeof item.folder !== 'string' || item.folder === '') {
      fail(`${where}: "folder" ${item.folder === undefined ? 'is missing' : 'must be a folder name'}.`)
    }
    if (item.resume !== undefined && (typeof item.resume !== 'string' || item.resume === '')) {
      fail(`${where}: "resume" must be the path of a checkpoint file.`)
    }
    if (item.config !== undefined) checkConfig(item.config, (message) => fail(`${where}: ${message}`))
    return item as unknown as QueueFileItem
  })
}

function checkConfig(config: unknown, fail: (message: string) => never): void {
  if (!isRecord(config)) fail(`"config" must be an object with sections model, training, paths, not ${kindOf(config)}.`)
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (!(key in SECTIONS)) fail(unknownKey(`config.${key}`, configCandidates()))
    if (!isRecord(value)) fail(`"config.${key}" must be an object of settings, not ${kindOf(value)}.`)
    const fields: readonly string[] = SECTIONS[key as Section]
    for (const field of Object.keys(value as Record<string, unknown>)) {
      if (!fields.includes(field)) fail(unknownKey(`config.${key}.${field}`, configCandidates()))
    }
  }
}

interface Candidate {
  /** What is suggested. */
  path: string
  /** What the typed key is compared with (the last part of the path). */
  name: string
}

const itemCandidates = (): Candidate[] => [
  ...ITEM_KEYS.map((key) => ({ path: key, name: key })),
  // A setting put directly in the run belongs in config.
  ...configCandidates(),
]

const configCandidates = (): Candidate[] =>
  (Object.keys(SECTIONS) as Section[]).flatMap((section) => [
    { path: `config.${section}`, name: section },
    ...SECTIONS[section].map((field) => ({ path: `config.${section}.${field}`, name: field })),
  ])

/** `unknown key "config.learning-rate"; did you mean "config.training.learningRate"?` */
function unknownKey(path: string, candidates: readonly Candidate[]): string {
  const typed = normalise(path.split('.').at(-1)!)
  let best: Candidate | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = editDistance(typed, normalise(candidate.name))
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  // A suggestion only when it is plausibly what was meant: at most a third of the letters differ.
  const close = best !== undefined && bestDistance <= Math.max(2, Math.floor(typed.length / 3))
  return close
    ? `unknown key "${path}"; did you mean "${best!.path}"?`
    : `unknown key "${path}" (see cllm queue --help for the keys a run takes).`
}

/** Case and separators do not count: "learning-rate", "learning_rate" and "LearningRate" are one key. */
function normalise(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '')
}

/** Levenshtein distance: insertions, deletions and substitutions of one character each cost 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return 'a string'
  return `a ${typeof value}`
}
