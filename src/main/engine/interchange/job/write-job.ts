/**
 * Writes a job folder from a studio checkpoint: everything a PyTorch process on another machine
 * needs to continue the run exactly (the run's own token stream, tokenizer, config, weights, AdamW
 * moments and sampler position) plus `train.py` and its README. The folder holds no path of this
 * machine: the start checkpoint's config loses its `paths`, and the parent run is named, not located.
 */
import { createHash } from 'node:crypto'
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import type { ArchitectureName } from '../../../../shared/architectures'
import type { CheckpointMetadata } from '../../../../shared/checkpoint'
import { UserError } from '../../../../shared/errors'
import type { RunParent } from '../../../../shared/runs'
import { loadCheckpoint, saveCheckpoint } from '../../checkpoints'
import {
  layoutOf,
  readCachedDataset,
  splitRanges,
  type TokenArray,
  type TokenRange,
} from '../../dataset'
import { parentRecord, runFolderOf } from '../../runs'
import { parseTokenizer, tokenizerHash } from '../../tokenizer'
import { checkJobOutDir, discardFolder, publishFolder, stagingFolder } from './out-dir'
import { findJobTemplates, README_TEMPLATE, TEMPLATE_FILES } from './templates'

export const JOB_FORMAT = 'cllm-job'
export const JOB_FORMAT_VERSION = 1
export const JOB_FILE = 'job.json'
export const START_CHECKPOINT = 'start.safetensors'

export interface JobFile {
  name: string
  path: string
  bytes: number
}

export type JobExportPhase = 'checkpoint' | 'dataset' | 'write'

export interface JobExportProgress {
  phase: JobExportPhase | 'prepare'
  detail: string
}

export interface JobExportResult {
  outDir: string
  files: JobFile[]
  /** The step the job starts from. */
  step: number
  /** The studio run (and checkpoint) the job continues, as job.json records it. */
  parent: RunParent
}

export interface WriteJobOptions {
  checkpoint: string
  outDir: string
  onProgress?: (progress: JobExportProgress) => void
  /** The template folder (default: findJobTemplates). */
  templateDir?: string
}

/** The run config without what belongs to this machine (`paths`: the checkpoint folder). */
export function portableConfig(config: CheckpointMetadata['config']): CheckpointMetadata['config'] {
  const { paths: _paths, ...rest } = config as CheckpointMetadata['config'] & { paths?: unknown }
  const training = { ...((rest as { training?: Record<string, unknown> }).training ?? {}) }
  delete training.threads // the spheres of this machine; a job's parallelism is its world size
  return { ...rest, training } as CheckpointMetadata['config']
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function bytesOf(tokens: TokenArray, range: TokenRange): Uint8Array {
  const width = tokens.BYTES_PER_ELEMENT
  return new Uint8Array(
    tokens.buffer,
    tokens.byteOffset + range.start * width,
    (range.end - range.start) * width,
  )
}

/** The architectures train.py implements, each as the engine computes it (resources/job/train.py). */
export const JOB_ARCHITECTURES: readonly ArchitectureName[] = ['gpt2', 'llama']

/**
 * Refuses, by name and before any work, a run of an architecture train.py does not implement: the
 * job would otherwise train another model than the studio's.
 */
export function assertJobArchitecture(architecture: string | undefined, what: string): void {
  const name = architecture ?? 'gpt2'
  if (!(JOB_ARCHITECTURES as readonly string[]).includes(name)) {
    throw new UserError(
      'invalid-config',
      `${what} is a ${name} model; training elsewhere (train.py) takes ${JOB_ARCHITECTURES.join(' and ')} runs only.`,
    )
  }
}

/**
 * A run on chat data trains with a loss mask (answers only) on conversations packed so that none
 * attends to another; train.py has neither, so a job would train another model than the studio's.
 */
export function chatRunRefusal(what: string): UserError {
  return new UserError(
    'invalid-config',
    `${what} is trained on chat data (loss on the answers, one conversation never attending to another); training elsewhere (train.py) takes plain-text runs only, so train it here.`,
  )
}

export async function writeJobFromCheckpoint(options: WriteJobOptions): Promise<JobExportResult> {
  const outDir = checkJobOutDir(options.outDir)
  const templates = findJobTemplates(options.templateDir)
  const path = resolve(options.checkpoint)
  const progress = options.onProgress ?? (() => undefined)

  progress({ phase: 'checkpoint', detail: `Reading ${path}` })
  const { metadata, state } = await loadCheckpoint(path)
  assertJobArchitecture(metadata.config.model.architecture, path)
  const runDir = runFolderOf(path)
  if (!runDir) {
    throw new UserError(
      'invalid-input',
      `${path} is not inside a run folder (no run.json beside it): a job needs the run's encoded dataset. Export a checkpoint from its run folder.`,
    )
  }
  const training = (metadata.config as { training?: Record<string, unknown> }).training ?? {}
  const seed = Number(training.seed ?? 0)
  const fraction = Number(training.valFraction ?? 0.1)
  const batchSize = Number(training.batchSize)
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new UserError(
      'corrupt-checkpoint',
      `${path} records no batch size (config.training.batchSize).`,
    )
  }
  const tokenizer = parseTokenizer(metadata.tokenizer, path)
  const seqLen = metadata.config.model.seqLen

  progress({ phase: 'dataset', detail: `Reading the encoded dataset of ${runDir}` })
  const cached = await readCachedDataset(
    runDir,
    (manifest) =>
      manifest.corpus.hash === metadata.corpusFingerprint &&
      manifest.tokenizer.hash === tokenizerHash(tokenizer) &&
      manifest.split.seed === seed &&
      manifest.split.fraction === fraction,
  )
  if (!cached) {
    throw new UserError(
      'not-found',
      `${runDir} holds no intact encoded dataset (tokens.bin, dataset.json) of the corpus and tokenizer ${basename(path)} was trained with.`,
    )
  }
  const { manifest, tokens } = cached
  if (manifest.chat) throw chatRunRefusal(path)
  const split = splitRanges(layoutOf(manifest), seqLen)
  const drawn = (metadata.sampler as { drawn?: unknown } | null)?.drawn
  if (typeof drawn !== 'number' || !Number.isSafeInteger(drawn) || drawn < 0) {
    throw new UserError(
      'corrupt-checkpoint',
      `${path} has no usable sampler state (windows drawn).`,
    )
  }

  const parentFull = await parentRecord(path, metadata.step)
  // Named, not located: the folder travels; the importing studio finds the parent by its name.
  const parent: RunParent = { ...parentFull, runDir: null, checkpoint: basename(path) }
  const config = portableConfig(metadata.config)
  const trainBytes = bytesOf(tokens, split.train)
  const valBytes = bytesOf(tokens, split.validation)

  progress({ phase: 'write', detail: `Writing the job to ${outDir}` })
  const staging = await stagingFolder(outDir)
  try {
    for (const file of TEMPLATE_FILES) await copyFile(join(templates, file), join(staging, file))
    const readme = await readFile(join(templates, README_TEMPLATE), 'utf8')
    await writeFile(
      join(staging, 'README.md'),
      fillReadme(readme, { parent, step: metadata.step, config, batchSize }),
    )
    await writeFile(join(staging, tokenizer.fileName), tokenizer.serialize())
    await writeFile(join(staging, 'train.bin'), trainBytes)
    await writeFile(join(staging, 'val.bin'), valBytes)
    const dataset = {
      format: 'cllm-job-dataset',
      dtype: manifest.tokens.dtype,
      byteOrder: 'little',
      vocabSize: manifest.tokenizer.vocabSize,
      totalTokens: manifest.tokens.count,
      // Ranges are in the run's token stream, as the sampler's offsets are; each file holds its range.
      train: {
        file: 'train.bin',
        start: split.train.start,
        end: split.train.end,
        count: split.train.end - split.train.start,
        sha256: sha256(trainBytes),
      },
      validation: {
        file: 'val.bin',
        start: split.validation.start,
        end: split.validation.end,
        count: split.validation.end - split.validation.start,
        sha256: sha256(valBytes),
      },
      split: { fraction, seed, overlapping: split.overlapping },
      sampler: { version: 1, range: split.train, seqLen, batchSize, seed, drawn },
    }
    await writeFile(join(staging, 'dataset.json'), `${JSON.stringify(dataset, null, 2)}\n`)
    await writeFile(join(staging, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)
    await saveCheckpoint(join(staging, START_CHECKPOINT), {
      metadata: { ...metadata, config },
      state,
    })
    const job = {
      format: JOB_FORMAT,
      formatVersion: JOB_FORMAT_VERSION,
      created: new Date().toISOString(),
      step: metadata.step,
      parent,
      start: START_CHECKPOINT,
      config: 'config.json',
      dataset: 'dataset.json',
      tokenizer: { kind: tokenizer.kind, file: tokenizer.fileName },
    }
    await writeFile(join(staging, JOB_FILE), `${JSON.stringify(job, null, 2)}\n`)
    await publishFolder(staging, outDir)
  } catch (error) {
    await discardFolder(staging)
    throw error
  }
  const names = [
    ...TEMPLATE_FILES,
    'README.md',
    JOB_FILE,
    'config.json',
    'dataset.json',
    'train.bin',
    'val.bin',
    tokenizer.fileName,
    START_CHECKPOINT,
  ]
  const files: JobFile[] = []
  for (const name of names.sort()) {
    const file = join(outDir, name)
    files.push({ name, path: file, bytes: (await stat(file)).size })
  }
  return { outDir, files, step: metadata.step, parent }
}

function fillReadme(
  template: string,
  values: {
    parent: RunParent
    step: number
    config: CheckpointMetadata['config']
    batchSize: number
  },
): string {
  const model = values.config.model
  const { vocabSize, seqLen, dModel, nLayers, nHeads } = model
  const heads = model.architecture === 'llama' && model.nKvHeads !== undefined && model.nKvHeads !== nHeads
    ? `${nHeads} heads (${model.nKvHeads} key/value)`
    : `${nHeads} heads`
  const fields: Record<string, string> = {
    RUN: values.parent.runName ?? values.parent.checkpoint,
    CHECKPOINT: values.parent.checkpoint,
    STEP: String(values.step),
    MODEL: `${model.architecture ?? 'gpt2'}, ${nLayers} layers × ${dModel} wide, ${heads}, context ${seqLen}, vocabulary ${vocabSize}`,
    BATCH: String(values.batchSize),
  }
  return template.replace(/\{\{([A-Z]+)\}\}/g, (whole, key: string) => fields[key] ?? whole)
}
