/**
 * `cllm evaluate --checkpoint <file> (--text-file <file> | --folder <dir>)`: how well a model
 * predicts a text — mean cross-entropy (nats per token) and perplexity.
 *
 * The text's own tokens are scored, nothing prepended: windows of seq_len + 1 tokens overlapping
 * by one, so every token except the first of each text (each file of a folder) is predicted
 * exactly once, from the tokens before it in its window.
 */
import { readFile } from 'node:fs/promises'
import { decodeUtf8, looksBinary } from '../../main/engine/corpus/text'
import { skipReasonLabels } from '../../shared/corpus'
import { availableParallelism } from 'node:os'
import type { Command } from 'commander'
import { loadCorpus } from '../../main/engine/corpus'
import { readCheckpointInfo } from '../../main/engine/checkpoints'
import { SPHERES_PER_CORE_LIMIT } from '../../shared/training'
import { evaluateTexts, openCheckpointModel } from '../../main/engine/session/from-checkpoint'
import { UserError } from '../../shared/errors'
import type { EvaluationResult } from '../../shared/training'
import { stdio, type CliIo } from './train'

export interface EvaluateFlags {
  checkpoint: string
  textFile?: string
  folder?: string
  threads?: number
  json?: boolean
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('Score a text with a trained model: mean cross-entropy and perplexity.')
    .requiredOption('--checkpoint <file>', 'checkpoint file (e.g. final_model.safetensors)')
    .option('--text-file <file>', 'a text file to score')
    .option('--folder <dir>', 'a folder of text files to score (read like a training corpus)')
    .option('--threads <n>', 'spheres (worker threads) (default: every core)', Number)
    .option('--json', 'print {"loss", "perplexity", "tokens"}')
    .action(async (flags: EvaluateFlags) => {
      await evaluate(flags, stdio)
    })
}

export async function evaluate(flags: EvaluateFlags, io: CliIo): Promise<EvaluationResult> {
  if ((flags.textFile === undefined) === (flags.folder === undefined)) {
    throw new UserError(
      'invalid-input',
      'Give exactly one of --text-file <file> or --folder <dir>.',
    )
  }
  const threads = flags.threads ?? availableParallelism()
  if (!Number.isInteger(threads) || threads < 1)
    throw new UserError('invalid-config', '--threads: must be a whole number, at least 1')
  const maxThreads = SPHERES_PER_CORE_LIMIT * availableParallelism()
  if (threads > maxThreads) {
    throw new UserError(
      'invalid-config',
      `--threads: at most ${maxThreads} (${SPHERES_PER_CORE_LIMIT} × ${availableParallelism()} cores)`,
    )
  }
  await readCheckpointInfo(flags.checkpoint) // a missing or damaged checkpoint is said before any text is read
  const texts =
    flags.textFile !== undefined
      ? [await readText(flags.textFile)]
      : await folderTexts(flags.folder!)
  const batchSize = threads * 4
  const model = await openCheckpointModel(flags.checkpoint, { threads, batchSize })
  try {
    const result = await evaluateTexts(model, texts, batchSize)
    if (flags.json) io.out(`${JSON.stringify(result)}\n`)
    else {
      io.out(
        `Loss ${result.loss.toFixed(4)} (mean cross-entropy, nats per token), perplexity ${result.perplexity.toFixed(2)}, ` +
          `over ${result.tokens.toLocaleString('en-US')} tokens\n`,
      )
    }
    return result
  } finally {
    await model.close()
  }
}

async function readText(path: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UserError('not-found', `Text file ${path} does not exist.`)
    if (code === 'EISDIR')
      throw new UserError('invalid-input', `${path} is a folder; use --folder for a folder.`)
    throw new UserError('unreadable', `Text file ${path} could not be read.`)
  }
  // The test train applies to a corpus file: a binary file is refused, not scored as text.
  if (looksBinary(bytes)) {
    throw new UserError('invalid-input', `Text file ${path} is a ${skipReasonLabels.binary}: evaluate scores text only, and train skips such files too.`)
  }
  return decodeUtf8(bytes)
}

async function folderTexts(folder: string): Promise<string[]> {
  const corpus = await loadCorpus({ folder })
  return corpus.documents.map((document) => document.text)
}
