/**
 * `cllm prepare <folder>`: load the corpus, build the vocabulary, encode the dataset and save both
 * in a run folder under the checkpoint directory (tokenizer.json or vocab.txt, tokens.bin,
 * dataset.json). Prints the original CLLM's "Vocabulary built" and "Dataset created" lines. Run it
 * again on an unchanged corpus with the same settings and the saved dataset is reused. A folder of
 * chat data (`.jsonl`, or `--data chat`) is prepared as `cllm train` prepares it: conversations in the
 * default chat template, packed into windows, the loss on the answers (`--loss-on`), and the
 * conversations, prompt and answer tokens and the share carrying the loss printed.
 */
import { availableParallelism } from 'node:os'
import { basename, join, relative, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { assertNoLinksBelow } from '../../main/engine/containment'
import { describeIssue, readChatData, selectData } from '../../main/engine/chat/data'
import { DEFAULT_TEMPLATE_SOURCE, describeChatCounts } from '../../main/engine/chat/model-template'
import { loadCorpus } from '../../main/engine/corpus'
import { checkFraction, prepareDataset, type PreparedDataset } from '../../main/engine/dataset'
import { checkVocabSize } from '../../main/engine/tokenizer'
import { DataKindChoice, LossOn } from '../../shared/chat'
import { UserError } from '../../shared/errors'
import {
  describeSplit,
  SplitMethod,
  TokenizerKind,
  type DatasetSummary,
  type TokenizeProgress,
} from '../../shared/tokenizer'
import { ModelSection, TrainingSection } from '../../shared/training'
import { formatBytes } from '../../shared/units'
import { countOf } from '../../shared/words'

// The defaults of `cllm train` (and the Train view), so that `cllm prepare` then `cllm train` with
// the same flags build the same dataset, and training reuses it instead of encoding again.
const MODEL_DEFAULTS = ModelSection.parse({})
const TRAINING_DEFAULTS = TrainingSection.parse({})
const DEFAULT_VOCAB_SIZE = MODEL_DEFAULTS.vocabSize
export const DEFAULT_SEQ_LEN = MODEL_DEFAULTS.seqLen
const DEFAULT_SEED = TRAINING_DEFAULTS.seed
const DEFAULT_VALIDATION_FRACTION = TRAINING_DEFAULTS.valFraction

export interface PrepareCommandOptions {
  vocabSize?: string
  tokenizer?: string
  seqLen?: string
  checkpointDir?: string
  runName?: string
  threads?: string
  seed?: string
  valFraction?: string
  split?: string
  json?: boolean
  followLinks?: boolean
  /** auto, chat or text, as `cllm train --data`. */
  data?: string
  /** Chat data: answers or all, as `cllm train --loss-on`. */
  lossOn?: string
}

export interface PrepareCommandResult {
  runDir: string
  reused: boolean
  summary: DatasetSummary
  files: PreparedDataset['files']
  corpus: { files: number; bytes: number; skipped: number }
  /** Chat data: the lines that were left out, with file, line and reason. */
  chatIssues?: Array<{ file: string; line: number; reason: string }>
}

export function register(program: Command): void {
  program
    .command('prepare')
    .description(
      'Build the vocabulary and the encoded dataset for a folder, saved in a run folder.',
    )
    .argument('<folder>', 'folder of text files to train on')
    .option(
      '--vocab-size <n>',
      'vocabulary size, special tokens included',
      String(DEFAULT_VOCAB_SIZE),
    )
    .option(
      '--tokenizer <kind>',
      'bpe (byte-level BPE, tokenizer.json) or word (CLLM words, vocab.txt)',
      'bpe',
    )
    .option('--seq-len <n>', 'training window length the corpus must hold', String(DEFAULT_SEQ_LEN))
    .option('--checkpoint-dir <dir>', 'folder that holds the run folders', './checkpoints')
    .option('--run-name <name>', 'run folder name (default: the corpus folder name)')
    .option('--threads <n>', 'threads that encode the corpus (default: the cores, at most 8)')
    .option('--seed <n>', 'seed of the train/validation split (as cllm train --seed)', String(DEFAULT_SEED))
    .option(
      '--val-fraction <f>',
      'share of the corpus kept for validation',
      String(DEFAULT_VALIDATION_FRACTION),
    )
    .option(
      '--split <method>',
      'validation cut out as blocks of ~4 KiB at line boundaries from every file, or as whole files (blocks or files)',
      TRAINING_DEFAULTS.split,
    )
    .addOption(new Option('--data <kind>', 'auto, chat (only the .jsonl chat data) or text (only the other files), as cllm train --data (default auto)').choices(['auto', 'chat', 'text']))
    .addOption(new Option('--loss-on <tokens>', 'chat data: loss on the answers only, or on all tokens, as cllm train --loss-on (default answers)').choices(['answers', 'all']))
    .option('--json', 'print the result as JSON')
    .option(
      '--follow-links',
      'also read files that symbolic links in the folder lead to outside it',
    )
    .action(async (folder: string, options: PrepareCommandOptions) => {
      const interactive = process.stderr.isTTY === true && !options.json
      await prepareCommand(
        folder,
        options,
        (line) => process.stdout.write(`${line}\n`),
        interactive ? showProgress : undefined,
      )
      if (interactive) process.stderr.write('\r\x1b[K')
    })
}

export async function prepareCommand(
  folder: string,
  options: PrepareCommandOptions,
  print: (line: string) => void,
  onProgress?: (progress: TokenizeProgress) => void,
): Promise<PrepareCommandResult> {
  const kind = TokenizerKind.safeParse(options.tokenizer ?? 'bpe')
  if (!kind.success)
    throw new UserError(
      'invalid-config',
      `--tokenizer ${options.tokenizer} is not one of: bpe, word.`,
    )
  const vocabSize = integerOption('--vocab-size', options.vocabSize, DEFAULT_VOCAB_SIZE)
  checkVocabSize(kind.data, vocabSize)
  const seqLen = integerOption('--seq-len', options.seqLen, DEFAULT_SEQ_LEN, 1)
  const threads = integerOption(
    '--threads',
    options.threads,
    Math.min(8, availableParallelism()),
    1,
  )
  const maxThreads = 4 * availableParallelism()
  if (threads > maxThreads) {
    throw new UserError(
      'invalid-config',
      `--threads ${threads} is more than this machine can use: at most ${maxThreads} (4 × ${availableParallelism()} cores).`,
    )
  }
  const seed = integerOption('--seed', options.seed, DEFAULT_SEED, 0)
  const validationFraction =
    options.valFraction === undefined ? DEFAULT_VALIDATION_FRACTION : Number(options.valFraction)
  checkFraction(validationFraction)
  const splitMethod = SplitMethod.safeParse(options.split ?? TRAINING_DEFAULTS.split)
  if (!splitMethod.success) {
    throw new UserError('invalid-config', `--split ${options.split} is not one of: blocks, files.`)
  }
  const dataChoice = DataKindChoice.safeParse(options.data ?? TRAINING_DEFAULTS.data)
  if (!dataChoice.success) throw new UserError('invalid-config', `--data ${options.data} is not one of: auto, chat, text.`)
  const lossOn = LossOn.safeParse(options.lossOn ?? TRAINING_DEFAULTS.lossOn)
  if (!lossOn.success) throw new UserError('invalid-config', `--loss-on ${options.lossOn} is not one of: answers, all.`)
  const checkpointDir = resolve(options.checkpointDir ?? './checkpoints')
  const runName = options.runName ?? runNameFor(folder)
  if (!/^[\w.-]+$/.test(runName) || runName === '.' || runName === '..') {
    throw new UserError(
      'invalid-config',
      `--run-name ${JSON.stringify(runName)} must be letters, digits, '.', '-' or '_'.`,
    )
  }
  const runDir = join(checkpointDir, runName)
  assertNoLinksBelow(checkpointDir, runDir) // the dataset is written there: never through a link

  const { summary: scan, documents: all } = await loadCorpus({
    folder,
    excludeDir: checkpointDir,
    followLinks: options.followLinks === true,
  })
  // As `cllm train` chooses (the same documents, template and loss setting), so that it reuses this dataset.
  const selection = selectData(all.filter((document) => document.text.length > 0), dataChoice.data)
  const documents = selection.documents
  const chatIssues = selection.kind === 'chat' ? readChatData(documents).summary.issues : undefined
  if (selection.kind === 'chat' && kind.data !== 'bpe') {
    throw new UserError('invalid-config', 'Chat data needs the bpe tokenizer (--tokenizer bpe): the word tokenizer cannot write a chat template.')
  }
  const prepared = await prepareDataset({
    documents,
    ...(selection.kind === 'chat' ? { chat: { template: DEFAULT_TEMPLATE_SOURCE, lossOn: lossOn.data } } : {}),
    tokenizer: { kind: kind.data, vocabSize },
    runDir,
    seqLen,
    validationFraction,
    splitMethod: splitMethod.data,
    seed,
    threads,
    onProgress,
  })
  const result: PrepareCommandResult = {
    runDir,
    reused: prepared.reused,
    summary: prepared.summary,
    files: prepared.files,
    corpus: { files: scan.totals.files, bytes: scan.totals.bytes, skipped: scan.skipped.length },
    ...(chatIssues ? { chatIssues } : {}),
  }
  if (options.json) {
    print(JSON.stringify(result, null, 2))
    return result
  }
  const { summary } = prepared
  const skipped = scan.skipped.length > 0 ? `, ${scan.skipped.length} skipped` : ''
  print(`Corpus: ${countOf(scan.totals.files, 'file')}, ${formatBytes(scan.totals.bytes)}${skipped}`)
  print(
    `Vocabulary built: ${summary.vocabSize} tokens (${summary.tokenizer}${summary.vocabSize < vocabSize ? `, fewer than the ${vocabSize} asked: the corpus ran out of ${kind.data === 'bpe' ? 'pairs to merge' : 'distinct words'}` : ''})`,
  )
  print(
    `Dataset created: ${summary.totalTokens} tokens (train ${summary.trainTokens}, validation ${summary.valTokens})`,
  )
  if (summary.chat) {
    print(describeChatCounts(summary.chat))
    if (chatIssues && chatIssues.length > 0) {
      print(`Left out: ${countOf(chatIssues.length, 'line')} of the chat data`)
      for (const issue of chatIssues) print(`  ${describeIssue(issue)}`)
    }
  }
  print(describeSplit(summary.split, formatBytes))
  print(`Compression: ${summary.bytesPerToken.toFixed(2)} bytes per token`)
  if (prepared.split.overlapping) {
    print(
      `Note: the corpus is shorter than two windows of ${seqLen + 1} tokens, so its one validation window overlaps the training text.`,
    )
  }
  const where = relative(process.cwd(), runDir) || '.'
  print(prepared.reused ? `Reused the dataset already saved in ${where}:` : `Saved to ${where}:`)
  for (const file of [prepared.files.tokenizer, prepared.files.tokens, prepared.files.manifest]) {
    print(`  ${basename(file)}`)
  }
  return result
}

function integerOption(
  flag: string,
  value: string | undefined,
  fallback: number,
  min = -Infinity,
): number {
  if (value === undefined) return fallback
  const number = Number(value)
  if (value.trim() === '' || !Number.isSafeInteger(number) || number < min) {
    throw new UserError(
      'invalid-config',
      `${flag} ${value} must be a whole number${min > -Infinity ? ` of at least ${min}` : ''}.`,
    )
  }
  return number
}

/** The corpus folder's name, made safe as a folder name. */
function runNameFor(folder: string): string {
  const name = basename(resolve(folder))
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[.-]+/, '')
  return name || 'run'
}

function showProgress(progress: TokenizeProgress): void {
  const label = progress.phase === 'train' ? 'Building vocabulary' : 'Encoding'
  const percent = progress.total > 0 ? Math.floor((100 * progress.done) / progress.total) : 100
  process.stderr.write(`\r\x1b[K${label}: ${percent}%`)
}
