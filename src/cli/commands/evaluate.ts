/**
 * `cllm evaluate --checkpoint <file> [--text-file <file> | --folder <dir>]`: how well a model
 * predicts a text — mean cross-entropy (nats per token) and perplexity.
 *
 * The text's own tokens are scored, nothing prepended: windows of seq_len + 1 tokens overlapping
 * by one, so every token except the first of each text (each file of a folder) is predicted
 * exactly once, from the tokens before it in its window. Without a text, the checkpoint's run's
 * own validation split (from the dataset in its folder).
 *
 * Chat data (`.jsonl` files, or a chat run's held-out conversations) is scored as training scores
 * it: the conversations in the model's template, packed into windows, the loss over the answers'
 * tokens only.
 */
import { readFile } from 'node:fs/promises'
import { decodeUtf8, looksBinary } from '../../main/engine/corpus/text'
import { skipReasonLabels } from '../../shared/corpus'
import { availableParallelism } from 'node:os'
import { Option, type Command } from 'commander'
import { basename, dirname } from 'node:path'
import { readChatData, selectData } from '../../main/engine/chat/data'
import { conversationWindows, scoreChatWindows } from '../../main/engine/chat/evaluate'
import { DEFAULT_TEMPLATE_SOURCE } from '../../main/engine/chat/model-template'
import { ChatTemplate } from '../../main/engine/chat/template'
import { loadCorpus } from '../../main/engine/corpus'
import { cachedChatValidation, cachedValidationTokens } from '../../main/engine/dataset/validation'
import { DataKindChoice } from '../../shared/chat'
import { countOf } from '../../shared/words'
import { readCheckpointInfo } from '../../main/engine/checkpoints'
import { SPHERES_PER_CORE_LIMIT } from '../../shared/training'
import { evaluateTexts, evaluateTokenStreams, openCheckpointModel, type OpenModel } from '../../main/engine/session/from-checkpoint'
import { UserError } from '../../shared/errors'
import type { EvaluationResult } from '../../shared/training'
import { stdio, type CliIo } from './train'

export interface EvaluateFlags {
  checkpoint: string
  textFile?: string
  folder?: string
  threads?: number
  json?: boolean
  /** auto, chat or text: which files of a folder to score (as cllm train --data). */
  data?: string
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description('Score a text with a trained model: mean cross-entropy and perplexity (chat data: over the answers).')
    .requiredOption('--checkpoint <file>', 'checkpoint file (e.g. final_model.safetensors)')
    .option('--text-file <file>', 'a text file (or .jsonl chat data) to score (default: the run\'s validation split)')
    .option('--folder <dir>', 'a folder of text files or .jsonl chat data to score (read like a training corpus)')
    .addOption(new Option('--data <kind>', 'auto, chat (only the .jsonl chat data) or text (only the other files), as cllm train --data (default auto)').choices(['auto', 'chat', 'text']))
    .option('--threads <n>', 'spheres (worker threads) (default: every core)', Number)
    .option('--json', 'print {"loss", "perplexity", "tokens"}')
    .action(async (flags: EvaluateFlags) => {
      await evaluate(flags, stdio)
    })
}

export async function evaluate(flags: EvaluateFlags, io: CliIo): Promise<EvaluationResult> {
  if (flags.textFile !== undefined && flags.folder !== undefined) {
    throw new UserError(
      'invalid-input',
      'Give one of --text-file <file> or --folder <dir>, or neither for the run\'s validation split.',
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
  const documents =
    flags.textFile !== undefined
      ? [{ path: basename(flags.textFile), text: await readText(flags.textFile) }]
      : flags.folder !== undefined
        ? await folderDocuments(flags.folder)
        : undefined
  const choice = DataKindChoice.safeParse(flags.data ?? 'auto')
  if (!choice.success) throw new UserError('invalid-config', `--data ${flags.data} is not one of: auto, chat, text.`)
  const selection = documents ? selectData(documents, choice.data) : undefined
  const batchSize = threads * 4
  const model = await openCheckpointModel(flags.checkpoint, { threads, batchSize })
  try {
    let result: EvaluationResult
    let what: string
    if (selection?.kind === 'chat') {
      const data = readChatData(selection.documents)
      if (data.summary.issues.length > 0) io.err(`Warning: ${countOf(data.summary.issues.length, 'line')} of the chat data left out\n`)
      if (data.conversations.length === 0) throw new UserError('no-usable-text', 'The chat data holds no usable conversation.')
      const template = new ChatTemplate(model.chat ?? DEFAULT_TEMPLATE_SOURCE)
      result = await scoreChatWindows(model.trainer, conversationWindows(data.conversations, model.tokenizer, template, model.trainer.config.seqLen))
      what = `answer tokens of ${countOf(data.conversations.length, 'conversation')}`
    } else if (selection) {
      result = await evaluateTexts(model, selection.documents.map((d) => d.text), batchSize)
      what = 'tokens'
    } else {
      ;({ result, what } = await evaluateRunValidation(model, flags.checkpoint, batchSize))
    }
    if (flags.json) io.out(`${JSON.stringify(result)}\n`)
    else {
      io.out(
        `Loss ${result.loss.toFixed(4)} (mean cross-entropy, nats per token), perplexity ${result.perplexity.toFixed(2)}, ` +
          `over ${result.tokens.toLocaleString('en-US')} ${what}\n`,
      )
    }
    return result
  } finally {
    await model.close()
  }
}

/** The run's own validation split: held-out conversations (their loss-bearing tokens) or text. */
async function evaluateRunValidation(
  model: OpenModel, checkpoint: string, batchSize: number,
): Promise<{ result: EvaluationResult; what: string }> {
  const runDir = dirname(model.path)
  const chat = await cachedChatValidation(runDir)
  if (chat) {
    const result = await scoreChatWindows(model.trainer, chat)
    const tokens = chat.lossOn === 'all' ? 'tokens' : 'answer tokens'
    return { result, what: `${tokens} of the run's ${countOf(chat.conversations, 'held-out conversation')}` }
  }
  const validation = await cachedValidationTokens(runDir, model.trainer.config.seqLen)
  if (!validation) {
    throw new UserError(
      'not-found',
      `The run of ${basename(checkpoint)} has no dataset in its folder to take its validation split from: give --text-file or --folder.`,
    )
  }
  return { result: await evaluateTokenStreams(model, [validation], batchSize), what: "tokens of the run's validation split" }
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

async function folderDocuments(folder: string): Promise<Array<{ path: string; text: string }>> {
  const corpus = await loadCorpus({ folder })
  return corpus.documents
}
