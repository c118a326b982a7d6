/**
 * Corpus → what training consumes: a tokenizer (trained here, or given), the token stream in shared
 * memory, the train/validation split, all saved in the run folder. A second preparation of the
 * same corpus with the same settings reuses the saved tokenizer and stream instead of encoding again.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '../../../shared/errors'
import {
  DEFAULT_VALIDATION_FRACTION,
  type DatasetSummary,
  type TokenizeProgress,
  type TokenizerKind,
} from '../../../shared/tokenizer'
import {
  checkVocabSize,
  parseTokenizer,
  tokenizerHash,
  trainTokenizer,
  type Tokenizer,
} from '../tokenizer'
import { warmWorkers } from '../tokenizer/pool'
import {
  DATASET_FORMAT,
  readCachedDataset,
  tokensHash,
  writeAtomic,
  writeDataset,
  type DatasetManifest,
} from './cache'
import { encodeDocuments, type TokenArray } from './encode'
import { corpusFingerprint, datasetFingerprint, type CorpusDocument } from './fingerprint'
import { checkFraction, chooseValidation, splitRanges, type SplitRanges } from './split'
import {
  buildChatStream,
  chatMask,
  chatSplit,
  chatTrainingTexts,
  readChatSource,
  type ChatPrepareOptions,
  type ChatSource,
} from './prepare-chat'

export interface PrepareOptions {
  documents: readonly CorpusDocument[]
  /** A tokenizer to use as is, or what to train. */
  tokenizer: Tokenizer | { kind: TokenizerKind; vocabSize: number }
  /** The run folder: the tokenizer file, tokens.bin and dataset.json go here. */
  runDir: string
  /** Window length the data must hold at least one of (training uses seqLen + 1 tokens per window). */
  seqLen: number
  validationFraction?: number
  seed?: number
  threads?: number
  onProgress?: (progress: TokenizeProgress) => void
  signal?: AbortSignal
  /**
   * Other folders whose saved dataset may be reused (only read): one built from the same corpus with
   * the same tokenizer and split is copied into `runDir` instead of encoding again — a run after
   * `cllm prepare` or the Data view's Tokenize, or a resumed run after its parent.
   */
  reuseFrom?: readonly string[]
  /**
   * The documents are chat data (`.jsonl`): conversations rendered with this template, one per
   * window, the loss on the answers (or on all tokens).
   */
  chat?: ChatPrepareOptions
}

export interface PreparedDataset {
  tokenizer: Tokenizer
  /** The whole stream (training documents, then validation documents), over a SharedArrayBuffer. */
  tokens: TokenArray
  split: SplitRanges
  /** Chat data: per stream position, 1 where the token is a target with loss (see chat/windows.ts). */
  mask?: Uint8Array
  /** Chat data: windows start at multiples of this (seqLen + 1), one conversation each. */
  windowStride?: number
  manifest: DatasetManifest
  summary: DatasetSummary
  /** True when the saved dataset was reused and nothing was trained or encoded. */
  reused: boolean
  files: { tokenizer: string; tokens: string; manifest: string }
}

export async function prepareDataset(options: PrepareOptions): Promise<PreparedDataset> {
  const fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION
  const seed = options.seed ?? 0
  checkFraction(fraction)
  if (!Number.isSafeInteger(seed))
    throw new UserError('invalid-config', `--seed ${seed} is not an integer.`)
  if (!Number.isInteger(options.seqLen) || options.seqLen < 1) {
    throw new UserError('invalid-config', `--seq-len ${options.seqLen} must be a positive integer.`)
  }
  const given = isTokenizer(options.tokenizer) ? options.tokenizer : undefined
  if (!given) checkVocabSize(options.tokenizer.kind, options.tokenizer.vocabSize)
  const documents = options.documents.filter((document) => document.text.length > 0)
  if (documents.length === 0) {
    throw new UserError(
      'no-usable-text',
      'The corpus has no text to tokenize: every document is empty.',
    )
  }

  const chatSource = options.chat ? readChatSource(documents, options.chat) : undefined
  const corpusHash = corpusFingerprint(documents)
  const request = given
    ? { tokenizer: tokenizerHash(given) }
    : { kind: options.tokenizer.kind, vocabSize: options.tokenizer.vocabSize }
  // A chat stream depends on the template, the loss setting and the window as well.
  const chatKey = options.chat ? { ...options.chat, seqLen: options.seqLen } : undefined
  const key = createHash('sha256')
    .update(JSON.stringify({ format: DATASET_FORMAT, corpus: corpusHash, request, fraction, seed, ...(chatKey ? { chat: chatKey } : {}) }))
    .digest('hex')
  await mkdir(options.runDir, { recursive: true })

  const cached = await readCachedDataset(options.runDir, key)
  if (cached) {
    const tokenizer = given ?? (await readSavedTokenizer(options.runDir, cached.manifest))
    if (tokenizer) {
      return finish(options, tokenizer, cached.tokens, cached.manifest, true)
    }
  }
  for (const folder of options.reuseFrom ?? []) {
    // Same corpus, same split, and the same tokenizer (the given one, or one trained by the same request).
    const other = await readCachedDataset(folder, (manifest) =>
      manifest.corpus.hash === corpusHash &&
      manifest.split.seed === seed &&
      manifest.split.fraction === fraction &&
      (given && !chatKey ? manifest.tokenizer.hash === tokenizerHash(given) : manifest.key === key),
    )
    if (!other) continue
    const tokenizer = given ?? (await readSavedTokenizer(folder, other.manifest))
    if (!tokenizer) continue
    const manifest = { ...other.manifest, key }
    await writeAtomic(join(options.runDir, tokenizer.fileName), tokenizer.serialize())
    await writeDataset(options.runDir, manifest, other.tokens)
    return finish(options, tokenizer, other.tokens, manifest, true)
  }

  // Workers for encoding start now, while the tokenizer trains (BPE training on several threads
  // uses the same ones); a failure to start shows again where encoding needs them.
  const threads = Math.floor(options.threads ?? 1)
  if (threads > 1) warmWorkers(threads - 1).catch(() => undefined)
  const tokenizer =
    given ??
    (await trainTokenizer(
      chatSource ? chatTrainingTexts(chatSource) : documents.map((document) => document.text),
      {
        ...options.tokenizer,
        threads: options.threads,
        onProgress: options.onProgress,
        signal: options.signal,
      },
    ))
  const tokenizerFile = join(options.runDir, tokenizer.fileName)
  const tokenizerText = tokenizer.serialize()
  await writeAtomic(tokenizerFile, tokenizerText)
  if (chatSource) {
    const manifest = await writeChatDataset(options, chatSource, tokenizer, { key, corpusHash, fraction, seed, documents })
    return finish(options, tokenizer, manifest.tokens, manifest.manifest, false)
  }

  // Training documents first, then validation documents, each group in corpus order.
  const bytes = documents.map((document) => Buffer.byteLength(document.text, 'utf8'))
  const isValidation = chooseValidation(bytes, fraction, seed)
  const order = [...documents.keys()].sort(
    (a, b) => Number(isValidation[a]) - Number(isValidation[b]),
  )
  const stream = await encodeDocuments(
    order.map((i) => documents[i].text),
    tokenizer,
    { threads: options.threads, onProgress: options.onProgress, signal: options.signal },
  )
  const validationDocuments = order.filter((i) => isValidation[i]).length
  const firstValidation = order.length - validationDocuments
  const identity = {
    kind: tokenizer.kind,
    vocabSize: tokenizer.vocabSize,
    hash: tokenizerHash(tokenizer),
  }
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    key,
    fingerprint: datasetFingerprint(corpusHash, identity),
    corpus: {
      hash: corpusHash,
      documents: documents.length,
      bytes: bytes.reduce((sum, n) => sum + n, 0),
    },
    tokenizer: { ...identity, endOfText: tokenizer.endOfText, file: tokenizer.fileName },
    tokens: {
      file: 'tokens.bin',
      dtype: stream.tokens instanceof Uint16Array ? 'uint16' : 'uint32',
      count: stream.tokens.length,
      sha256: tokensHash(stream.tokens),
    },
    split: {
      seed,
      fraction,
      validationStart:
        firstValidation < order.length ? stream.starts[firstValidation] : stream.tokens.length,
      validationDocuments,
    },
    documents: order.map((i, position) => ({
      path: documents[i].path,
      bytes: bytes[i],
      start: stream.starts[position],
      tokens: stream.lengths[position],
      split: isValidation[i] ? ('validation' as const) : ('train' as const),
    })),
    created: new Date().toISOString(),
  }
  // Check the window before writing, so a too-small corpus leaves no dataset behind to reuse.
  splitRanges(layoutOf(manifest), options.seqLen)
  await writeDataset(options.runDir, manifest, stream.tokens)
  return finish(options, tokenizer, stream.tokens, manifest, false)
}

async function writeChatDataset(
  options: PrepareOptions,
  source: ChatSource,
  tokenizer: Tokenizer,
  at: { key: string; corpusHash: string; fraction: number; seed: number; documents: readonly CorpusDocument[] },
): Promise<{ manifest: DatasetManifest; tokens: TokenArray }> {
  const built = buildChatStream(source, tokenizer, { ...options.chat!, seqLen: options.seqLen, fraction: at.fraction, seed: at.seed })
  const identity = { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize, hash: tokenizerHash(tokenizer) }
  const bytes = at.documents.map((document) => Buffer.byteLength(document.text, 'utf8'))
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    key: at.key,
    fingerprint: datasetFingerprint(at.corpusHash, identity),
    corpus: { hash: at.corpusHash, documents: at.documents.length, bytes: bytes.reduce((sum, n) => sum + n, 0) },
    tokenizer: { ...identity, endOfText: tokenizer.endOfText, file: tokenizer.fileName },
    tokens: {
      file: 'tokens.bin',
      dtype: built.tokens instanceof Uint16Array ? 'uint16' : 'uint32',
      count: built.tokens.length,
      sha256: tokensHash(built.tokens),
    },
    split: { seed: at.seed, fraction: at.fraction, validationStart: built.validationStart, validationDocuments: built.validationDocuments },
    // The files; the conversations (one per window) are listed under chat.windows.
    documents: at.documents.map((document, i) => ({
      path: document.path,
      bytes: bytes[i],
      start: 0,
      tokens: 0,
      split: 'train' as const,
    })),
    chat: built.chat,
    created: new Date().toISOString(),
  }
  await writeDataset(options.runDir, manifest, built.tokens)
  return { manifest, tokens: built.tokens }
}

function finish(
  options: PrepareOptions,
  tokenizer: Tokenizer,
  tokens: TokenArray,
  manifest: DatasetManifest,
  reused: boolean,
): PreparedDataset {
  if (manifest.chat) {
    const counts = manifest.chat.counts
    const split = chatSplit(manifest)
    const real = counts.promptTokens + counts.answerTokens
    return {
      tokenizer,
      tokens,
      split,
      mask: chatMask(manifest),
      windowStride: counts.windowTokens,
      manifest,
      reused,
      summary: {
        tokenizer: tokenizer.kind,
        vocabSize: tokenizer.vocabSize,
        totalTokens: tokens.length,
        trainTokens: split.train.end - split.train.start,
        valTokens: split.validation.end - split.validation.start,
        bytesPerToken: real > 0 ? manifest.corpus.bytes / real : 0,
        documents: manifest.corpus.documents,
        chat: counts,
      },
      files: {
        tokenizer: join(options.runDir, manifest.tokenizer.file),
        tokens: join(options.runDir, manifest.tokens.file),
        manifest: join(options.runDir, 'dataset.json'),
      },
    }
  }
  const split = splitRanges(layoutOf(manifest), options.seqLen)
  const textTokens = manifest.documents.reduce((sum, document) => sum + document.tokens, 0)
  return {
    tokenizer,
    tokens,
    split,
    manifest,
    reused,
    summary: {
      tokenizer: tokenizer.kind,
      vocabSize: tokenizer.vocabSize,
      totalTokens: tokens.length,
      trainTokens: split.train.end - split.train.start,
      valTokens: split.validation.end - split.validation.start,
      bytesPerToken: textTokens > 0 ? manifest.corpus.bytes / textTokens : 0,
      documents: manifest.corpus.documents,
    },
    files: {
      tokenizer: join(options.runDir, manifest.tokenizer.file),
      tokens: join(options.runDir, manifest.tokens.file),
      manifest: join(options.runDir, 'dataset.json'),
    },
  }
}

export function layoutOf(manifest: DatasetManifest): Parameters<typeof splitRanges>[0] {
  return {
    totalTokens: manifest.tokens.count,
    validationStart: manifest.split.validationStart,
    validationDocuments: manifest.split.validationDocuments,
    fraction: manifest.split.fraction,
  }
}

/** The tokenizer saved beside a cached dataset, if it is still the one the dataset was built with. */
async function readSavedTokenizer(
  runDir: string,
  manifest: DatasetManifest,
): Promise<Tokenizer | undefined> {
  const path = join(runDir, manifest.tokenizer.file)
  try {
    const tokenizer = parseTokenizer(await readFile(path, 'utf8'), path)
    return tokenizerHash(tokenizer) === manifest.tokenizer.hash ? tokenizer : undefined
  } catch {
    return undefined
  }
}

function isTokenizer(value: PrepareOptions['tokenizer']): value is Tokenizer {
  return typeof (value as Tokenizer).encode === 'function'
}
