/**
 * The CLLM checkpoint file: a safetensors file holding the GPT-2 parameters under Hugging Face names,
 * the AdamW moments under `optimizer.m.<name>` / `optimizer.v.<name>`, and in `__metadata__`
 * everything else needed to resume or generate (config, tokenizer, step, epoch, sampler and RNG state,
 * losses). Two SHA-256 checksums guard it: `checksum` over the tensor bytes (as specified) and
 * `header_checksum` over the rest of the header, so a flipped byte anywhere is refused on load.
 */
import { createHash } from 'node:crypto'
import { sha256Yielding } from './hash'
import { stat } from 'node:fs/promises'
import { readRegularFile } from '../containment'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { ZodError } from 'zod'
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CheckpointMetadata,
  type CheckpointMetadataInput,
} from '../../../shared/checkpoint'
import { UserError } from '../../../shared/errors'
import { modelShapeProblem } from '../model/memory-plan'
import { parseTokenizer } from '../tokenizer'
import type { ModelConfig, NamedTensor, TrainerState } from '../model/trainer'
import { writeFileAtomic, type ChunkWriter } from './atomic-write'
import { corruptCheckpoint, CorruptCheckpointError } from './errors'
import {
  ADAM_M_PREFIX,
  ADAM_V_PREFIX,
  checkpointTensorLayout,
  type TensorShape,
} from './gpt2-layout'
import {
  assertTensorSizes,
  decodeTensor,
  encodeHeader,
  headerObject,
  METADATA_KEY,
  parseFile,
  readHeader,
  tensorBytes,
  type ParsedHeader,
  type Tensor,
} from './safetensors'

export interface Checkpoint {
  metadata: CheckpointMetadata
  state: TrainerState
}

/** What the session hands to saveCheckpoint (defaults such as empty recent-loss lists may be left out). */
export interface CheckpointInput {
  metadata: CheckpointMetadataInput
  state: TrainerState
}

/** A checkpoint's header, read without its tensor data (the tensor checksum is not verified). */
export interface CheckpointInfo {
  path: string
  sizeBytes: number
  formatVersion: number
  /** SHA-256 (hex) of the tensor bytes, as recorded. */
  checksum: string
  metadata: CheckpointMetadata
  tensors: TensorShape[]
}

export interface LoadOptions {
  /** Refuse the checkpoint unless its model has these values (e.g. the flags of a resumed run). */
  expectConfig?: Partial<ModelConfig>
}

export interface SaveOptions {
  /** Replaces the chunk writer; for tests that make a write fail half-way. */
  writeChunk?: ChunkWriter
}

/** Metadata keys as stored, mapped from the typed fields. */
const STORED_KEY: Record<keyof CheckpointMetadata, string> = {
  config: 'config',
  tokenizerKind: 'tokenizer_kind',
  tokenizer: 'tokenizer',
  step: 'step',
  epoch: 'epoch',
  sampler: 'sampler',
  rng: 'rng',
  losses: 'losses',
  created: 'created',
  corpusFingerprint: 'corpus_fingerprint',
}
const JSON_FIELDS = new Set<keyof CheckpointMetadata>(['config', 'sampler', 'rng', 'losses'])
const NUMBER_FIELDS = new Set<keyof CheckpointMetadata>(['step', 'epoch'])
const OPTIMIZER_STEP_KEY = 'optimizer_step'
const CHECKSUM_KEY = 'checksum'
const HEADER_CHECKSUM_KEY = 'header_checksum'

/** How each model field is called for the user, with the `cllm train` flag that sets it. */
const MODEL_FIELD_LABEL: Record<keyof ModelConfig, string> = {
  vocabSize: 'vocabulary size (--vocab-size)',
  seqLen: 'sequence length (--seq-len)',
  dModel: 'embedding dimension (--embed-dim)',
  nLayers: 'number of layers (--num-layers)',
  nHeads: 'number of heads (--num-heads)',
  architecture: 'architecture (--arch)',
  nKvHeads: 'number of key/value heads (--num-kv-heads)',
  ffnDim: 'MLP width (--ffn-dim)',
  normEps: 'RMSNorm epsilon',
  ropeTheta: 'rotary base θ',
  tiedEmbeddings: 'tied LM head',
  qkvBias: 'q/k/v biases',
}

function sha256(chunks: Iterable<Uint8Array>): string {
  const hash = createHash('sha256')
  for (const chunk of chunks) hash.update(chunk)
  return hash.digest('hex')
}

/**
 * SHA-256 of the header as written before `header_checksum` was added: the header object in its own
 * key order with that one metadata key left out, serialised by JSON.stringify.
 */
export function headerChecksum(header: Record<string, unknown>): string {
  const canonical: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(header)) {
    if (key !== METADATA_KEY) {
      canonical[key] = value
      continue
    }
    const { [HEADER_CHECKSUM_KEY]: _omitted, ...rest } = value as Record<string, string>
    canonical[key] = rest
  }
  return sha256([Buffer.from(JSON.stringify(canonical), 'utf8')])
}

function encodeField(field: keyof CheckpointMetadata, value: unknown): string {
  if (JSON_FIELDS.has(field)) return JSON.stringify(value ?? null)
  return String(value)
}

/** Metadata strings in a fixed order; NaN/Infinity losses become null through JSON. */
function encodeMetadata(
  metadata: CheckpointMetadataInput,
  optimizerStep: number,
): Record<string, string> {
  const out: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_FORMAT_VERSION),
  }
  for (const field of Object.keys(STORED_KEY) as Array<keyof CheckpointMetadata>) {
    out[STORED_KEY[field]] = encodeField(field, metadata[field])
  }
  out[OPTIMIZER_STEP_KEY] = String(optimizerStep)
  return out
}

function describeIssue(error: ZodError): string {
  const issue = error.issues[0]
  const [field, ...rest] = issue.path.map(String)
  const stored = STORED_KEY[field as keyof CheckpointMetadata] ?? field
  const where = [stored, ...rest].join('.')
  return `metadata field "${where}" is invalid: ${issue.message}`
}

/** Returns the typed metadata, or the sentence saying which field is wrong. */
function decodeFields(
  raw: Record<string, string>,
): { metadata: CheckpointMetadata } | { problem: string } {
  const fields: Record<string, unknown> = {}
  for (const field of Object.keys(STORED_KEY) as Array<keyof CheckpointMetadata>) {
    const key = STORED_KEY[field]
    const text = raw[key]
    if (text === undefined) return { problem: `metadata field "${key}" is missing` }
    if (JSON_FIELDS.has(field)) {
      try {
        fields[field] = JSON.parse(text)
      } catch {
        return { problem: `metadata field "${key}" is not valid JSON` }
      }
    } else if (NUMBER_FIELDS.has(field)) {
      fields[field] = text.trim() === '' ? NaN : Number(text)
    } else {
      fields[field] = text
    }
  }
  const parsed = CheckpointMetadata.safeParse(fields)
  return parsed.success ? { metadata: parsed.data } : { problem: describeIssue(parsed.error) }
}

function parseOptimizerStep(raw: Record<string, string>): number | undefined {
  const text = raw[OPTIMIZER_STEP_KEY]
  return text !== undefined && /^\d+$/.test(text) && Number.isSafeInteger(Number(text))
    ? Number(text)
    : undefined
}

/** Compares tensor names and shapes with what the config needs; returns the first problem, if any. */
function tensorProblem(tensors: readonly TensorShape[], model: ModelConfig): string | undefined {
  const expected = checkpointTensorLayout(model)
  const present = new Map(tensors.map((t) => [t.name, t.shape]))
  const missing = expected.filter((t) => !present.has(t.name)).map((t) => t.name)
  if (missing.length > 0) {
    const shown = missing
      .slice(0, 3)
      .map((name) => `"${name}"`)
      .join(', ')
    const more = missing.length > 3 ? ` and ${missing.length - 3} more` : ''
    return `it lacks ${missing.length} tensor(s) the model config needs: ${shown}${more}`
  }
  const expectedNames = new Set(expected.map((t) => t.name))
  const extra = tensors.find((t) => !expectedNames.has(t.name))
  if (extra) return `it holds a tensor "${extra.name}" that a model with this config does not have`
  for (const want of expected) {
    const shape = present.get(want.name)!
    if (shape.length !== want.shape.length || shape.some((dim, i) => dim !== want.shape[i])) {
      const { vocabSize, seqLen, dModel, nLayers, nHeads } = model
      return (
        `tensor "${want.name}" has shape [${shape.join(', ')}] but the config in its metadata ` +
        `(vocabSize ${vocabSize}, seqLen ${seqLen}, dModel ${dModel}, nLayers ${nLayers}, nHeads ${nHeads}) ` +
        `needs [${want.shape.join(', ')}] (the weights do not match the config)`
      )
    }
  }
  return undefined
}

/**
 * Metadata that contradicts itself, even when the checksums were recomputed after an edit: the
 * session's step and the optimizer's, the tokenizer kind and the tokenizer text, the tensors'
 * places in the file and the order the model lays them out in (two same-sized tensors whose
 * offsets were swapped would otherwise load as each other).
 */
function contradiction(
  metadata: CheckpointMetadata,
  optimizerStep: number,
  tensors: readonly TensorEntryPlace[],
): string | undefined {
  if (metadata.step !== optimizerStep) {
    return `its metadata contradicts itself: step ${metadata.step} but ${OPTIMIZER_STEP_KEY} ${optimizerStep}`
  }
  const textKind = metadata.tokenizer.trimStart().startsWith('{') ? 'bpe' : 'word'
  if (metadata.tokenizerKind !== textKind) {
    return `its metadata contradicts itself: tokenizer_kind "${metadata.tokenizerKind}" but the stored tokenizer is a ${textKind === 'bpe' ? 'BPE tokenizer.json' : 'word vocabulary'}`
  }
  const sampler = metadata.sampler as { seqLen?: unknown } | null
  if (sampler !== null && typeof sampler === 'object' && 'seqLen' in sampler && sampler.seqLen !== metadata.config.model.seqLen) {
    return `its metadata contradicts itself: sampler.seqLen ${JSON.stringify(sampler.seqLen)} but config seqLen ${metadata.config.model.seqLen}`
  }
  const expected = checkpointTensorLayout(metadata.config.model)
  const inFileOrder = [...tensors].sort((a, b) => a.begin - b.begin)
  const misplaced = inFileOrder.findIndex((tensor, i) => tensor.name !== expected[i]?.name)
  if (misplaced !== -1) {
    return `its tensors are not where the model lays them out: "${expected[misplaced].name}" should come at position ${misplaced + 1} of the data, "${inFileOrder[misplaced].name}" is there`
  }
  return undefined
}

interface TensorEntryPlace {
  name: string
  begin: number
}

/** Floats checked between two turns of the event loop (16 MB, a few ms): a 124M checkpoint holds 372 M. */
const FINITE_SLICE_FLOATS = 1 << 22

/** Whether data[from, to) holds only finite values. A small function of its own, so V8 optimises its loop. */
function allFinite(data: Float32Array, from: number, to: number): boolean {
  // x · 0 is 0 for every finite x and NaN for NaN and ±Infinity; one NaN makes the sum NaN.
  let sum = 0
  for (let i = from; i < to; i++) sum += data[i] * 0
  return sum === 0
}

/** Whether data[from, to) holds no negative value (the second moments; NaN was checked before). */
function allNonNegative(data: Float32Array, from: number, to: number): boolean {
  let min = 0
  for (let i = from; i < to; i++) min = Math.min(min, data[i])
  return min === 0
}

/**
 * The first tensor (named with its group's prefix) with a value failing `valid`, checked in slices
 * that yield to the event loop, so a large checkpoint never blocks the server.
 */
async function firstInvalidTensor(
  groups: Array<[string, NamedTensor[]]>,
  valid: (data: Float32Array, from: number, to: number) => boolean,
): Promise<string | undefined> {
  let sinceYield = 0
  for (const [prefix, tensors] of groups) {
    for (const tensor of tensors) {
      const data = tensor.data
      for (let from = 0; from < data.length; from += FINITE_SLICE_FLOATS) {
        const to = Math.min(data.length, from + FINITE_SLICE_FLOATS)
        if (!valid(data, from, to)) return prefix + tensor.name
        sinceYield += to - from
        if (sinceYield >= FINITE_SLICE_FLOATS) {
          sinceYield = 0
          await yieldToLoop()
        }
      }
    }
  }
  return undefined
}

/** The first second moment holding a negative value, named. */
function negativeSecondMoment(state: TrainerState): Promise<string | undefined> {
  return firstInvalidTensor([[ADAM_V_PREFIX, state.adamV]], allNonNegative)
}

/** The first parameter or moment holding NaN or ±Infinity, named, or undefined when all are finite. */
function nonFiniteTensor(state: TrainerState): Promise<string | undefined> {
  return firstInvalidTensor(
    [
      ['', state.params],
      [ADAM_M_PREFIX, state.adamM],
      [ADAM_V_PREFIX, state.adamV],
    ],
    allFinite,
  )
}

interface DecodedHeader {
  metadata: CheckpointMetadata
  formatVersion: number
  optimizerStep: number
  checksum: string
}

/** Format, version, header checksum, fields, then tensors against the config: the order a reader needs. */
function decodeHeader(parsed: ParsedHeader, file: string): DecodedHeader {
  const raw = parsed.metadata
  if (raw.format !== CHECKPOINT_FORMAT) {
    const found =
      raw.format === undefined ? 'has no "format" metadata' : `has format "${raw.format}"`
    throw corruptCheckpoint(
      file,
      `it is not a CLLM checkpoint (it ${found}, expected "${CHECKPOINT_FORMAT}")`,
    )
  }
  if (raw.format_version !== String(CHECKPOINT_FORMAT_VERSION)) {
    const newer =
      /^\d+$/.test(raw.format_version ?? '') &&
      Number(raw.format_version) > CHECKPOINT_FORMAT_VERSION
    throw corruptCheckpoint(
      file,
      `it has format version ${JSON.stringify(raw.format_version ?? null)}; this version of CLLM Studio reads ` +
        `format version ${CHECKPOINT_FORMAT_VERSION} only${newer ? ' (the file was written by a newer version)' : ''}`,
    )
  }
  if (raw[HEADER_CHECKSUM_KEY] !== headerChecksum(parsed.json)) {
    throw corruptCheckpoint(
      file,
      'its header does not match its header checksum (the file was damaged or edited)',
    )
  }
  const decoded = decodeFields(raw)
  if ('problem' in decoded) throw corruptCheckpoint(file, decoded.problem)
  const optimizerStep = parseOptimizerStep(raw)
  if (optimizerStep === undefined)
    throw corruptCheckpoint(file, `metadata field "${OPTIMIZER_STEP_KEY}" is invalid`)
  const checksum = raw[CHECKSUM_KEY]
  if (typeof checksum !== 'string' || !/^[0-9a-f]{64}$/.test(checksum)) {
    throw corruptCheckpoint(file, `metadata field "${CHECKSUM_KEY}" is not a SHA-256 hex digest`)
  }
  // Plan before building: a shape no memory holds is refused before its tensor layout is made.
  const shape = modelShapeProblem(decoded.metadata.config.model)
  if (shape) throw corruptCheckpoint(file, `the model config in its metadata cannot be built: ${shape}`)
  const problem =
    tensorProblem(parsed.tensors, decoded.metadata.config.model) ??
    contradiction(decoded.metadata, optimizerStep, parsed.tensors)
  if (problem) throw corruptCheckpoint(file, problem)
  return {
    metadata: decoded.metadata,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    optimizerStep,
    checksum,
  }
}

function checkExpectedConfig(
  file: string,
  model: ModelConfig,
  expect: Partial<ModelConfig> | undefined,
): void {
  if (!expect) return
  for (const field of Object.keys(MODEL_FIELD_LABEL) as Array<keyof ModelConfig>) {
    const wanted = expect[field]
    // A config written before `architecture` existed is GPT-2.
    const had = field === 'architecture' ? (model.architecture ?? 'gpt2') : model[field]
    if (wanted !== undefined && wanted !== had) {
      throw new UserError(
        'invalid-config',
        `Checkpoint ${file} was trained with ${MODEL_FIELD_LABEL[field]} ${String(had)}, but ${String(wanted)} was asked for. ` +
          `Leave that setting at the checkpoint's value to resume, or start a new run.`,
      )
    }
  }
}

function stateTensors(state: TrainerState): Tensor[] {
  const prefixed = (prefix: string, tensors: NamedTensor[]) =>
    tensors.map((t) => ({ name: prefix + t.name, shape: t.shape, data: t.data }))
  return [
    ...prefixed('', state.params),
    ...prefixed(ADAM_M_PREFIX, state.adamM),
    ...prefixed(ADAM_V_PREFIX, state.adamV),
  ]
}

/** Writes `checkpoint` to `path` atomically: the old file, if any, stays intact until the new one is complete. */
export async function saveCheckpoint(
  path: string,
  checkpoint: CheckpointInput,
  options: SaveOptions = {},
): Promise<void> {
  const { state } = checkpoint
  if (!Number.isSafeInteger(state.step) || state.step < 0)
    throw new Error(`Cannot save checkpoint ${path}: state.step ${state.step} is not a step count.`)
  const metadata = encodeMetadata(checkpoint.metadata, state.step)
  // Decoding what was encoded guarantees that whatever is saved can be loaded.
  const decoded = decodeFields(metadata)
  if ('problem' in decoded) throw new Error(`Cannot save checkpoint ${path}: ${decoded.problem}.`)
  const tensors = stateTensors(state)
  assertTensorSizes(tensors)
  const problem = tensorProblem(tensors, decoded.metadata.config.model)
  if (problem)
    throw new Error(`Cannot save checkpoint ${path}: ${problem.replace(/^it /, 'the state ')}.`)

  const data = tensors.map((t) => tensorBytes(t.data))
  metadata[CHECKSUM_KEY] = await sha256Yielding(data)
  const header = headerObject(tensors, metadata)
  metadata[HEADER_CHECKSUM_KEY] = headerChecksum(header)
  try {
    await writeFileAtomic(path, [encodeHeader(header), ...data], { writeChunk: options.writeChunk })
  } catch (error) {
    throw writeError(path, error)
  }
}

const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'its folder does not exist',
}

/** A failed write as a sentence naming the file; the previous checkpoint at that path is untouched. */
function writeError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code
  const why = (code && WRITE_FAILURES[code]) ?? (error as Error).message
  // A sentence for the user (one `Error:` line, exit 2 in the CLI), the system call's error kept as its cause.
  const failure = new UserError('unreadable', `Could not write checkpoint ${path}: ${why}${code ? ` (${code})` : ''}.`)
  ;(failure as { cause?: unknown }).cause = error
  return failure
}

/** Read under the containment rule: a link, a FIFO or a device named like a checkpoint is refused unopened. */
async function readWholeFile(path: string): Promise<Buffer> {
  try {
    return await readRegularFile(path, { what: 'Checkpoint' })
  } catch (error) {
    throw error instanceof UserError ? error : fileError(path, error)
  }
}

function fileError(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new UserError('not-found', `Checkpoint ${path} does not exist.`)
  if (code === 'EISDIR')
    return new UserError('invalid-input', `Checkpoint ${path} is a folder, not a checkpoint file.`)
  return new UserError(
    'unreadable',
    `Checkpoint ${path} could not be read (${code ?? (error as Error).message}).`,
  )
}

/** Reads and verifies a whole checkpoint; anything damaged, foreign or inconsistent is refused with a UserError. */
export async function loadCheckpoint(path: string, options: LoadOptions = {}): Promise<Checkpoint> {
  // The header first: a file that is not a checkpoint, or one whose shapes cannot be built, is
  // refused before its (possibly gigabytes of) data are read.
  try {
    decodeHeader(await readHeader(path), path)
  } catch (error) {
    throw error instanceof UserError ? error : fileError(path, error)
  }
  const bytes = await readWholeFile(path)
  const parsed = parseFile(bytes, path)
  const header = decodeHeader(parsed, path)
  const data = bytes.subarray(parsed.dataStart)
  if ((await sha256Yielding([data])) !== header.checksum) {
    throw corruptCheckpoint(
      path,
      'its tensor data does not match its checksum (the file was damaged or changed after it was written)',
    )
  }
  checkExpectedConfig(path, header.metadata.config.model, options.expectConfig)

  const state: TrainerState = { step: header.optimizerStep, params: [], adamM: [], adamV: [] }
  for (const entry of parsed.tensors) {
    const tensor = { shape: entry.shape, data: decodeTensor(data.subarray(entry.begin, entry.end)) }
    if (entry.name.startsWith(ADAM_M_PREFIX))
      state.adamM.push({ name: entry.name.slice(ADAM_M_PREFIX.length), ...tensor })
    else if (entry.name.startsWith(ADAM_V_PREFIX))
      state.adamV.push({ name: entry.name.slice(ADAM_V_PREFIX.length), ...tensor })
    else state.params.push({ name: entry.name, ...tensor })
  }
  const nonFinite = await nonFiniteTensor(state)
  if (nonFinite !== undefined) {
    throw corruptCheckpoint(
      path,
      `tensor "${nonFinite}" holds NaN or infinite values (the run diverged, or the file was edited)`,
    )
  }
  // AdamW's second moment is a running mean of squares: a negative value makes its square root NaN.
  const negative = await negativeSecondMoment(state)
  if (negative !== undefined) {
    throw corruptCheckpoint(path, `tensor "${negative}" holds a negative second moment (AdamW's v is a mean of squares)`)
  }
  // The tokenizer decides which ids exist: its size must be the model's vocabulary. (A tokenizer
  // that does not parse is refused, naming it, where it is used.)
  let tokenizerSize: number | undefined
  try {
    tokenizerSize = parseTokenizer(header.metadata.tokenizer, path).vocabSize
  } catch {
    tokenizerSize = undefined
  }
  if (tokenizerSize !== undefined && tokenizerSize !== header.metadata.config.model.vocabSize) {
    throw corruptCheckpoint(path, `its metadata contradicts itself: the tokenizer has ${tokenizerSize} tokens but config vocabSize is ${header.metadata.config.model.vocabSize}`)
  }
  return { metadata: header.metadata, state }
}

/** Reads only the header: fast enough to list many checkpoints. Structural damage is refused; the tensor checksum is not checked. */
export async function readCheckpointInfo(path: string): Promise<CheckpointInfo> {
  let parsed: ParsedHeader
  let sizeBytes: number
  try {
    sizeBytes = (await stat(path)).size
    parsed = await readHeader(path)
  } catch (error) {
    throw error instanceof UserError ? error : fileError(path, error)
  }
  const header = decodeHeader(parsed, path)
  return {
    path,
    sizeBytes,
    formatVersion: header.formatVersion,
    checksum: header.checksum,
    metadata: header.metadata,
    tensors: parsed.tensors.map(({ name, shape }) => ({ name, shape })),
  }
}

export type CheckpointVerdict = { status: 'ok'; checks: string[] } | { status: 'corrupt'; problem: string }

/**
 * Reads a whole checkpoint and checks everything loading checks: both checksums (the tensor hash
 * over every byte), the metadata's consistency and finite weights. A listing reads headers only;
 * this is the `--verify` / Verify check. A file that passes says what was checked, with counts;
 * files that cannot be read at all still throw.
 */
export async function verifyCheckpoint(path: string): Promise<CheckpointVerdict> {
  try {
    const { state, metadata } = await loadCheckpoint(path)
    const tensors = [...state.params, ...state.adamM, ...state.adamV]
    const values = tensors.reduce((sum, tensor) => sum + tensor.data.length, 0)
    return {
      status: 'ok',
      checks: [
        'header SHA-256 matches',
        `tensor data SHA-256 matches (${tensors.length.toLocaleString('en-US')} tensors)`,
        `metadata consistent (format ${CHECKPOINT_FORMAT}, step ${metadata.step.toLocaleString('en-US')} = optimizer step, tokenizer, tensor names and shapes against the config)`,
        `all ${values.toLocaleString('en-US')} weights and optimizer moments finite`,
      ],
    }
  } catch (error) {
    if (error instanceof CorruptCheckpointError) return { status: 'corrupt', problem: error.problem }
    throw error
  }
}
