/**
 * Tokenizers: train one on a corpus, load one from its file, and check the sizes the engine takes.
 * `bpe` (byte-level BPE, `tokenizer.json`) is the default; `word` is the CLLM word vocabulary.
 */
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '../../../shared/errors'
import { VOCAB_LIMITS, type TokenizeProgress, type TokenizerKind } from '../../../shared/tokenizer'
import { BPE_SPECIAL_TOKENS, BpeTokenizer } from './bpe'
import { trainBpe } from './bpe-trainer'
import { trainBpeInWorkers } from './parallel-train'
import { parseTokenizer } from './parse'
import type { Tokenizer } from './types'
import { WordTokenizer } from './word'

export { BpeTokenizer, END_OF_TEXT, BPE_SPECIAL_TOKENS } from './bpe'
export { WordTokenizer, WORD_SPECIAL_TOKENS } from './word'
export { TokenBuffer } from './token-buffer'
export { trainBpe } from './bpe-trainer'
export { parseTokenizer } from './parse'
export type { Tokenizer, TokenizerFileName } from './types'

export interface TrainTokenizerOptions {
  kind: TokenizerKind
  vocabSize: number
  /** BPE training above 1 runs on that many worker threads (same result, main thread free). */
  threads?: number
  onProgress?: (progress: TokenizeProgress) => void
  signal?: AbortSignal
}

/** Throws invalid-config unless `vocabSize` is an integer the `kind` of tokenizer supports. */
export function checkVocabSize(kind: TokenizerKind, vocabSize: number): void {
  const { min, max } = VOCAB_LIMITS[kind]
  if (!Number.isInteger(vocabSize) || vocabSize < min || vocabSize > max) {
    const why =
      kind === 'bpe'
        ? `256 byte tokens and ${BPE_SPECIAL_TOKENS.length} special token need at least ${min}`
        : `5 special tokens and one word need at least ${min}`
    throw new UserError(
      'invalid-config',
      `--vocab-size ${vocabSize} is out of range for the ${kind} tokenizer: use ${min} to ${max} (${why}).`,
    )
  }
}

/**
 * Trains a tokenizer on the texts. The vocabulary can come out smaller than asked for when the
 * corpus runs out of pairs to merge (bpe) or of distinct words (word); `vocabSize` tells.
 */
export async function trainTokenizer(
  texts: readonly string[],
  options: TrainTokenizerOptions,
): Promise<Tokenizer> {
  checkVocabSize(options.kind, options.vocabSize)
  if (!texts.some((text) => text.length > 0)) {
    throw new UserError(
      'no-usable-text',
      'There is no text to build a vocabulary from: every document is empty.',
    )
  }
  if (options.kind === 'word') {
    const tokenizer = WordTokenizer.train(texts, options.vocabSize)
    options.onProgress?.({ phase: 'train', done: 1, total: 1 })
    return tokenizer
  }
  const settings = {
    tokens: options.vocabSize - BPE_SPECIAL_TOKENS.length,
    onProgress: options.onProgress,
    signal: options.signal,
  }
  const threads = Math.floor(options.threads ?? 1)
  const trained =
    threads > 1
      ? await trainBpeInWorkers(texts, { ...settings, threads })
      : await trainBpe(texts, settings)
  return BpeTokenizer.fromTrained(trained)
}

/**
 * Loads a tokenizer from a `tokenizer.json` or `vocab.txt` file, or from a folder holding one
 * (a run folder). Checkpoint files will be accepted once the checkpoint format exists.
 */
export async function loadTokenizer(path: string): Promise<Tokenizer> {
  const info = await stat(path).catch(() => {
    throw new UserError('not-found', `Tokenizer not found: ${path}`)
  })
  if (!info.isDirectory()) return parseTokenizer(await readText(path), path)
  for (const name of ['tokenizer.json', 'vocab.txt']) {
    const file = join(path, name)
    const found = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    )
    if (found) return parseTokenizer(await readText(file), file)
  }
  throw new UserError('not-found', `${path} holds no tokenizer.json or vocab.txt.`)
}

/** A short identity for a tokenizer: the SHA-256 of its file, in hex. */
export function tokenizerHash(tokenizer: Tokenizer): string {
  return createHash('sha256').update(tokenizer.serialize()).digest('hex')
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    throw new UserError('unreadable', `Could not read the tokenizer file ${path}.`)
  }
}
