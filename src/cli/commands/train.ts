/**
 * `cllm train <folder>`: train a model on a folder of text, with the flags of the original CLLM
 * example (and their defaults), printing the config, a progress line per evaluation interval, a
 * per-epoch summary with each sphere's work, and a sample at the end. `--json` prints every
 * training event as one JSON object per line instead. Ctrl-C stops gracefully with a checkpoint.
 */
import { readdir, rm } from 'node:fs/promises'
import { Command, Option } from 'commander'
import { describeChatCounts } from '../../main/engine/chat/model-template'
import { createSession, type SessionOptions, type TrainingSession } from '../../main/engine/session'
import { UserError } from '../../shared/errors'
import { exportJobFromConfig, type JobFromConfigResult } from '../../main/engine/interchange/job'
import { printJob } from './job'
import { onOutputClosed, outputClosed, writeErr, writeOut } from '../output'
import { describeSplit } from '../../shared/tokenizer'
import { formatBytes } from '../../shared/units'
import {
  ARCHITECTURES,
  DEFAULT_ARCHITECTURE,
  defaultFfnDim,
  withDefaultArchitecture,
  PathsSection,
  warmupSteps,
  type EpochSummary,
  type RunConfigInput,
  type RunFinished,
  type RunStarted,
  type SphereStatsPayload,
  type TrainingEvent,
  type TrainingProgress,
} from '../../shared/training'

export interface CliIo {
  out(text: string): void
  err(text: string): void
}

export const stdio: CliIo = { out: writeOut, err: writeErr }

export interface TrainFlags {
  arch?: 'gpt2' | 'llama'
  numKvHeads?: number
  ffnDim?: number
  vocabSize?: number
  embedDim?: number
  numLayers?: number
  numHeads?: number
  batchSize?: number
  seqLen?: number
  learningRate?: number
  epochs?: number
  threads?: number
  checkpointDir?: string
  maxSteps?: number
  warmup?: number
  weightDecay?: number
  gradClip?: number
  seed?: number
  evalInterval?: number
  checkpointInterval?: number
  keep?: number
  tokenizer?: 'bpe' | 'word'
  data?: 'auto' | 'chat' | 'text'
  lossOn?: 'answers' | 'all'
  valFraction?: number
  split?: 'blocks' | 'files'
  runName?: string
  resume?: string
  /** A Hugging Face GPT-2 folder or a checkpoint to fine-tune instead of starting from noise. */
  initFrom?: string
  force?: boolean
  json?: boolean
  followLinks?: boolean
  /** Write a PyTorch job folder here instead of training (src/cli/commands/job.ts). */
  job?: string
}

/** Each run-config field and the flag that sets it, so errors name what the user typed. */
const FLAGS = {
  'model.architecture': '--arch',
  'model.numKvHeads': '--num-kv-heads',
  'model.ffnDim': '--ffn-dim',
  'model.vocabSize': '--vocab-size',
  'model.embedDim': '--embed-dim',
  'model.numLayers': '--num-layers',
  'model.numHeads': '--num-heads',
  'model.seqLen': '--seq-len',
  'training.batchSize': '--batch-size',
  'training.learningRate': '--learning-rate',
  'training.epochs': '--epochs',
  'training.threads': '--threads',
  'training.maxSteps': '--max-steps',
  'training.warmup': '--warmup',
  'training.weightDecay': '--weight-decay',
  'training.gradClip': '--grad-clip',
  'training.seed': '--seed',
  'training.evalInterval': '--eval-interval',
  'training.checkpointInterval': '--checkpoint-interval',
  'training.keep': '--keep',
  'training.tokenizer': '--tokenizer',
  'training.data': '--data',
  'training.lossOn': '--loss-on',
  'training.valFraction': '--val-fraction',
  'training.split': '--split',
  'paths.checkpointDir': '--checkpoint-dir',
  'paths.runName': '--run-name',
} as const

/** "model.numHeads: must divide embedDim" → "--num-heads: must divide --embed-dim". */
export function withFlagNames(message: string): string {
  let text = message
  for (const [path, flag] of Object.entries(FLAGS)) {
    const field = path.split('.')[1]
    // Not inside a flag already written out ("--seed" must not become "----seed").
    text = text.replaceAll(path, flag).replace(new RegExp(`(?<![-\\w.])${field}\\b`, 'g'), flag)
  }
  return text
}

const number = (value: string): number => (value.trim() === '' ? Number.NaN : Number(value))

export function register(program: Command): void {
  program
    .command('train')
    .description('Train a GPT-style model on the text files in a folder.')
    .argument('<folder>', 'folder with the training text')
    .addOption(new Option('--arch <name>', `gpt2 (learned positions, LayerNorm, GELU) or llama (rotary positions, RMSNorm, SwiGLU, grouped-query attention) (default ${DEFAULT_ARCHITECTURE})`).choices([...ARCHITECTURES]))
    .option('--vocab-size <n>', 'vocabulary size (default 500)', number)
    .option('--embed-dim <n>', 'embedding dimension (default 64)', number)
    .option('--num-layers <n>', 'transformer layers (default 2)', number)
    .option('--num-heads <n>', 'attention heads, must divide --embed-dim (default 4)', number)
    .option('--num-kv-heads <n>', 'llama: key/value heads, must divide --num-heads (default: --num-heads)', number)
    .option('--ffn-dim <n>', 'llama: SwiGLU width (default: 8/3 × --embed-dim, to a multiple of 4)', number)
    .option('--batch-size <n>', 'windows per step (default 4)', number)
    .option('--seq-len <n>', 'context length in tokens (default 32)', number)
    .option('--learning-rate <x>', 'peak learning rate (default 0.001)', number)
    .option('--epochs <n>', 'passes over the training tokens (default 1)', number)
    .option('--threads <n>', 'spheres (worker threads): at most the batch size and 4 × the cores (default: every core)', number)
    .option('--checkpoint-dir <dir>', 'where run folders are created (default ./checkpoints)')
    .option('--max-steps <n>', "the run's total steps, counting those of a resumed checkpoint (overrides --epochs)", number)
    .option('--warmup <n>', 'linear warmup steps (default: 5% of the steps, at most 100)', number)
    .option('--weight-decay <x>', 'AdamW weight decay (default 0.01)', number)
    .option('--grad-clip <x>', 'global gradient-norm clip, 0 for none (default 1)', number)
    .option('--seed <n>', 'seed for initialisation, split and sampling (default 42)', number)
    .option('--eval-interval <n>', 'steps between validation losses and progress lines (default 100)', number)
    .option('--checkpoint-interval <n>', 'steps between checkpoints, 0 for only on stop and at the end (default 500)', number)
    .option('--keep <n>', 'periodic checkpoints kept, besides the best (default 3)', number)
    .addOption(new Option('--tokenizer <kind>', 'bpe or word (default bpe)').choices(['bpe', 'word']))
    .option('--val-fraction <x>', 'share of the corpus held out for validation (default 0.1)', number)
    .addOption(new Option('--split <method>', 'validation cut out as blocks of ~4 KiB at line boundaries from every file, or as whole files (default blocks)').choices(['blocks', 'files']))
    .addOption(new Option('--data <kind>', 'auto, chat (only the .jsonl chat data) or text (only the other files); auto refuses a folder mixing both (default auto)').choices(['auto', 'chat', 'text']))
    .addOption(new Option('--loss-on <tokens>', 'chat data: loss on the answers only, or on all tokens (default answers)').choices(['answers', 'all']))
    .option('--run-name <name>', 'run folder name (default run-<date>-<time>)')
    .option('--resume <checkpoint>', 'continue from a checkpoint file in a new run folder (in --checkpoint-dir, else beside the parent run); the parent is never changed')
    .option('--init-from <model>', 'fine-tune a model: a Hugging Face GPT-2 or Llama-family (llama, qwen2, mistral) folder, or a checkpoint (keeps its shape and tokenizer; a Llama-family model may train on a shorter --seq-len; learning rate 1e-4, warmup 10 unless set)')
    .option('--force', 'resume even though the corpus changed since the checkpoint')
    .option('--json', 'print one JSON object per line (the training events)')
    .option('--follow-links', 'also read files that symbolic links in the folder lead to outside it')
    .option('--job <dir>', 'prepare the run here (dataset, initial weights: a run stopped at step 0), then write a job that trains it with PyTorch / torchrun elsewhere, into this new folder, instead of training')
    .action(async (folder: string, flags: TrainFlags) => {
      if (flags.job !== undefined) {
        await writeJob(folder, flags, stdio)
        return
      }
      const finished = await train(folder, flags, stdio, { handleSignals: true, handleClosedOutput: true })
      if (finished.reason === 'stopped' && !outputClosed()) process.exitCode = 130
    })
}

/** The config a user asked for: only the flags they gave, so defaults (or a checkpoint) fill the rest. */
export function configFromFlags(flags: TrainFlags): RunConfigInput {
  const pick = <K extends keyof TrainFlags>(...keys: K[]) =>
    Object.fromEntries(keys.filter((key) => flags[key] !== undefined).map((key) => [key, flags[key]]))
  const config = {
    model: {
      ...pick('vocabSize', 'embedDim', 'numLayers', 'numHeads', 'seqLen', 'numKvHeads', 'ffnDim'),
      ...(flags.arch !== undefined ? { architecture: flags.arch } : {}),
    },
    training: pick(
      'batchSize', 'learningRate', 'epochs', 'threads', 'maxSteps', 'warmup', 'weightDecay', 'gradClip', 'seed',
      'evalInterval', 'checkpointInterval', 'keep', 'tokenizer', 'valFraction', 'split', 'data', 'lossOn',
    ),
    paths: pick('checkpointDir', 'runName'),
  } as RunConfigInput
  // A new run without --arch gets the default; a resumed or fine-tuned one keeps its model's.
  return flags.resume === undefined && flags.initFrom === undefined ? withDefaultArchitecture(config)! : config
}

export interface TrainControl {
  /** Ctrl-C stops the run gracefully (a second Ctrl-C exits at once). */
  handleSignals?: boolean
  /** Called with the session once it exists (tests use it to stop or pause). */
  onSession?: (session: TrainingSession) => void
  /** Extra session options (test hooks). */
  session?: Partial<SessionOptions>
  /** A closed stdout stops the run; a run folder it had only begun (no checkpoint yet) is removed. */
  handleClosedOutput?: boolean
}

/** Runs `cllm train`; resolves with how the run ended, throws when it failed. */
export async function train(folder: string, flags: TrainFlags, io: CliIo, control: TrainControl = {}): Promise<RunFinished> {
  let session: TrainingSession
  try {
    session = await createSession({
      folder,
      config: configFromFlags(flags),
      ...(flags.resume !== undefined ? { resume: flags.resume } : {}),
      ...(flags.initFrom !== undefined ? { initFrom: flags.initFrom } : {}),
      ...(flags.force ? { force: true } : {}),
      ...(flags.followLinks ? { followLinks: true } : {}),
      ...control.session,
    })
  } catch (error) {
    if (error instanceof UserError && error.code === 'invalid-config') {
      throw new UserError(error.code, withFlagNames(error.message))
    }
    throw error
  }
  control.onSession?.(session)
  const printer = flags.json ? new JsonPrinter(io) : new TextPrinter(io)
  session.on((event) => printer.print(event))

  let interrupts = 0
  const onSigint = (): void => {
    interrupts++
    if (interrupts === 1) {
      io.err('\nStopping after this step and writing a checkpoint (Ctrl-C again to quit at once)…\n')
      session.stop()
    } else {
      process.exit(130)
    }
  }
  if (control.handleSignals) process.on('SIGINT', onSigint)
  let outputWentAway = false
  const unwatch = control.handleClosedOutput
    ? onOutputClosed(() => {
        outputWentAway = true
        session.stop()
      })
    : undefined
  try {
    const finished = await session.run()
    if (outputWentAway) {
      await removeBegunRunFolder(session, finished)
      return finished
    }
    if (finished.state === 'failed') {
      const message = withFlagNames(finished.message ?? 'Training failed.')
      if (finished.code && finished.code !== 'internal') throw new UserError(finished.code, message)
      throw new Error(`Training failed at step ${finished.step}: ${message}`)
    }
    return finished
  } finally {
    if (control.handleSignals) process.off('SIGINT', onSigint)
    unwatch?.()
  }
}

/** `cllm train FOLDER --job DIR`: the run prepared as here, handed to PyTorch as a job folder. */
export async function writeJob(folder: string, flags: TrainFlags, io: CliIo): Promise<JobFromConfigResult> {
  if (flags.resume !== undefined || flags.initFrom !== undefined) {
    throw new UserError(
      'invalid-input',
      '--job starts a new run elsewhere; to continue a checkpoint elsewhere use: cllm export --checkpoint CKPT --format job --out DIR',
    )
  }
  let result: JobFromConfigResult
  try {
    result = await exportJobFromConfig({
      folder,
      config: configFromFlags(flags),
      outDir: flags.job!,
      checkpointDir: flags.checkpointDir ?? PathsSection.parse({}).checkpointDir,
      ...(flags.followLinks ? { followLinks: true } : {}),
      ...(flags.json ? {} : { onProgress: (p) => io.err(`${p.detail}\n`) }),
    })
  } catch (error) {
    if (error instanceof UserError && error.code === 'invalid-config') {
      throw new UserError(error.code, withFlagNames(error.message))
    }
    throw error
  }
  if (!flags.json) io.out(`Prepared ${result.runDir} (stopped at step 0: the job's parent).\n`)
  printJob(result, flags.json, (line) => io.out(`${line}\n`))
  return result
}

/** A run stopped by a closed pipe before its first checkpoint leaves no folder behind. */
async function removeBegunRunFolder(session: TrainingSession, finished: RunFinished): Promise<void> {
  const runDir = session.createdRunDir
  if (finished.checkpoint || runDir === undefined) return
  const files = await readdir(runDir).catch(() => [] as string[])
  if (files.some((file) => file.endsWith('.safetensors'))) return
  await rm(runDir, { recursive: true, force: true })
}

// ── output ──────────────────────────────────────────────────────────────────────────────────────

class JsonPrinter {
  constructor(private readonly io: CliIo) {}
  print(event: TrainingEvent): void {
    this.io.out(`${JSON.stringify(event)}\n`)
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const loss = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(4))
const plural = (n: number, word: string, words = `${word}s`) => `${fmt(n)} ${n === 1 ? word : words}`

/** Epochs to two decimals, whole numbers without them: 0.27, 1, 2.5. */
export function fmtEpochs(epochs: number): string {
  return Number.isInteger(epochs) ? fmt(epochs) : epochs.toFixed(2)
}

/** "training loss 3.0638 (mean of the last 100 steps), validation loss 3.1 at step 500": the summary's one definition of each. */
export function formatLosses(finished: RunFinished): string {
  const window = finished.trainLossWindow ? ` (mean of the last ${plural(finished.trainLossWindow, 'step')})` : ''
  const train = `training loss ${loss(finished.trainLoss)}${window}`
  const at = finished.valLossStep !== undefined && finished.valLossStep !== null ? ` at step ${fmt(finished.valLossStep)}` : ''
  return `${train}, validation loss ${loss(finished.valLoss)}${at}`
}

/** `1,274 tok/s over 2.1 s of training steps; evaluation 0.4 s and checkpoints 0.1 s on top` */
export function formatSpeed(finished: RunFinished): string {
  const s = (x: number | undefined) => `${(x ?? 0).toFixed(1)} s`
  return `Speed: ${fmt(finished.tokensPerSec ?? 0)} tok/s, run average over ${s(finished.trainSec)} of training steps; evaluation ${s(finished.evalSec)} and checkpoints ${s(finished.checkpointSec)} on top.`
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const two = (n: number) => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`
}

/** `Sphere  3 (group  3): 128 batches, 97.1% busy, 4,096 tokens, 1.23 s busy, 0.04 s waiting, loss 3.2100` */
export function formatSphere(sphere: SphereStatsPayload): string {
  return (
    `Sphere ${String(sphere.id).padStart(2)} (group ${String(sphere.group).padStart(2)}): ` +
    `${plural(sphere.batches, 'batch', 'batches')}, ${(sphere.utilisation * 100).toFixed(1)}% busy, ` +
    `${plural(sphere.tokens, 'token')}, ${(sphere.busyNs / 1e9).toFixed(2)} s busy, ${(sphere.waitNs / 1e9).toFixed(2)} s waiting` +
    (sphere.loss === null ? '' : `, loss ${loss(sphere.loss)}`)
  )
}

/** "GPT-2 style: vocab 500, embed 64, 2 layers, 4 heads, seq 32"; Llama adds its key/value heads and MLP width. */
function describeModel(model: RunStarted['config']['model']): string {
  const common = `vocab ${model.vocabSize}, embed ${model.embedDim}, ${plural(model.numLayers, 'layer')}`
  if (model.architecture !== 'llama') return `GPT-2 style: ${common}, ${plural(model.numHeads, 'head')}, seq ${model.seqLen}`
  const kv = model.numKvHeads ?? model.numHeads
  const ffn = model.ffnDim ?? defaultFfnDim(model.embedDim)
  return `Llama style: ${common}, ${plural(model.numHeads, 'head')} (${kv} key/value), SwiGLU ${ffn}, seq ${model.seqLen}`
}

export function formatConfig(started: RunStarted): string[] {
  const { model, training } = started.config
  const warmup = warmupSteps(training, started.totalSteps)
  const steps =
    training.maxSteps !== undefined
      ? `${fmt(started.totalSteps)} steps (--max-steps; ${fmt(started.stepsPerEpoch)} steps per epoch)`
      : `${plural(training.epochs, 'epoch')} × ${fmt(started.stepsPerEpoch)} steps = ${fmt(started.totalSteps)} steps`
  const lines = [
    `Run folder  ${started.runDir}`,
    `Tokenizer   ${started.tokenizer.kind}, ${fmt(started.tokenizer.vocabSize)} tokens; data ${fmt(started.trainTokens)} training + ${fmt(started.valTokens)} validation tokens`,
    `Model       ${describeModel(model)} — ${fmt(started.parameters)} parameters`,
    `Training    batch ${training.batchSize}, learning rate ${training.learningRate} (warmup ${warmup}, cosine decay), weight decay ${training.weightDecay}, grad clip ${training.gradClip}, seed ${training.seed}`,
    `            ${steps} on ${plural(training.threads, 'thread')}; validation every ${training.evalInterval}, checkpoint every ${training.checkpointInterval || '-'} (keep ${training.keep})`,
  ]
  if (started.split) lines.push(`Data        ${describeSplit(started.split, formatBytes)}`)
  if (started.chat) lines.push(`Chat data   ${describeChatCounts(started.chat).replace(/^Chat: /, '')}`)
  if (started.initFrom) lines.push(`Starting    from ${started.initFrom} (its shape, tokenizer and weights)`)
  if (started.resumedFrom) lines.push(`Resuming    ${started.resumedFrom} at step ${fmt(started.startStep)} of ${fmt(started.totalSteps)}`)
  if (started.initialValLoss !== null) lines.push(`Start       validation loss ${loss(started.initialValLoss)} (ln vocab = ${Math.log(model.vocabSize).toFixed(4)})`)
  return lines
}

class TextPrinter {
  private started: RunStarted | null = null
  private lastPhase = ''
  private lossSum = 0
  private lossCount = 0
  private legend = false

  constructor(private readonly io: CliIo) {}

  print({ event, payload }: TrainingEvent): void {
    const line = (text: string) => this.io.out(`${text}\n`)
    switch (event) {
      case 'training.prepare':
        // The first line of each phase (what is being done) and the line that sums it up.
        if (payload.done || (payload.phase !== this.lastPhase && payload.phase !== 'corpus')) line(payload.detail)
        this.lastPhase = payload.phase
        break
      case 'training.started':
        this.started = payload
        for (const text of formatConfig(payload)) line(text)
        for (const warning of payload.warnings) this.io.err(`Warning: ${warning}\n`)
        break
      case 'training.progress':
        this.progress(payload, line)
        break
      case 'training.epoch':
        this.epoch(payload, line)
        break
      case 'training.samples':
        line(`Sample answers at step ${fmt(payload.step)}:`)
        for (const sample of payload.samples) line(`  ${oneLine(sample.prompt)} → ${oneLine(sample.answer)} (expected: ${oneLine(sample.expected)})`)
        break
      case 'training.checkpoint':
        line(`${payload.kind === 'final' ? 'Final model' : 'Checkpoint '} ${payload.path}${payload.kind === 'stop' ? ' (stopped)' : ''}`)
        break
      case 'training.finished':
        if (payload.reason === 'stopped') line(`Stopped at step ${fmt(payload.step)}: ${formatLosses(payload)}.`)
        if (payload.reason === 'completed') {
          const epochs = this.started ? ` (${fmtEpochs(payload.step / this.started.stepsPerEpoch)} epochs)` : ''
          line(`Done: ${fmt(payload.step)} steps${epochs} in ${formatDuration(payload.durationSec)}, ${formatLosses(payload)}.`)
        }
        if (payload.tokensPerSec !== undefined && payload.reason !== 'failed') line(formatSpeed(payload))
        if (payload.sample !== null) line(`Sample:\n${payload.sample}`)
        break
      default:
        break
    }
  }

  private progress(p: TrainingProgress, line: (text: string) => void): void {
    const width = String(p.totalSteps).length
    const perEpoch = this.started?.stepsPerEpoch ?? p.totalSteps
    if (!this.legend) {
      this.legend = true
      line('(loss: mean training loss since the previous line; val: validation loss at that step; tok/s: the most recent training steps, evaluation and checkpoints excluded)')
    }
    for (const point of p.points) {
      this.lossSum += point.loss
      this.lossCount++
      if (point.valLoss === undefined) continue
      const meanLoss = this.lossSum / this.lossCount
      this.lossSum = 0
      this.lossCount = 0
      line(
        `step ${String(point.step).padStart(width)}/${p.totalSteps}  epoch ${fmtEpochs(point.step / perEpoch)}/${fmtEpochs(p.totalSteps / perEpoch)}  ` +
          `loss ${loss(meanLoss)}  val ${loss(point.valLoss)}  lr ${point.lr.toExponential(2)}  ` +
          `${fmt(p.tokensPerSec)} tok/s  ETA ${formatDuration(point.step === p.totalSteps ? 0 : p.etaSec)}`,
      )
    }
  }

  private epoch(e: EpochSummary, line: (text: string) => void): void {
    const perEpoch = this.started?.stepsPerEpoch ?? e.step
    const epochs = this.started ? this.started.totalSteps / perEpoch : e.epoch + 1
    // A run that ends mid-epoch says how much of the epoch it trained.
    const part = e.step / perEpoch - e.epoch
    const label = part < 1 - 1e-9 ? `Epoch ${e.epoch + 1} (${fmtEpochs(part)} of it)` : `Epoch ${e.epoch + 1}/${fmtEpochs(epochs)}`
    line(
      `${label}: mean loss over the epoch ${loss(e.meanLoss)}, validation loss ${loss(e.valLoss)} at step ${fmt(e.step)}, ` +
        `${formatDuration(e.durationSec)}, ${fmt(e.tokensPerSec)} tok/s over its training steps`,
    )
    for (const sphere of e.spheres) line(`  ${formatSphere(sphere)}`)
  }
}

/** A message on one line: newlines shown as ⏎, long ones cut. */
function oneLine(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ⏎ ')
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat
}
