/**
 * Corpus → what training consumes: a tokenizer (trained here, or given), the token stream in shared
 * memory, the train/validation split, all saved in the run folder. A second preparation of the
 * same corpus with the same settings reuses the saved tokenizer and stream instead of encoding again.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { ContainedRoot } from '../containment'
import { basename, dirname, join, resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import {
  DEFAULT_SPLIT_METHOD,
  DEFAULT_VALIDATION_FRACTION,
  type DatasetSummary,
  type SplitMethod,
  type SplitSide,
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
import { BLOCK_CHARS, checkFraction, splitRanges, splitSegments, type SplitRanges, type TokenRange } from './split'
import {
  buildChatStream,
  chatMask,
  chatPositionsOf,
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
  /** `blocks` (default) or whole `files`; see split.ts. */
  splitMethod?: SplitMethod
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
   * The documents are chat data (`.jsonl`): conversations rendered with this template, packed into
   * windows (or padded, one per window), the loss on the answers (or on all tokens).
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
  /** Packed chat data: per stream position, that token's position inside its conversation. */
  positions?: Uint16Array
  /** Chat data: windows start at multiples of this (seqLen + 1). */
  windowStride?: number
  manifest: DatasetManifest
  summary: DatasetSummary
  /** True when the saved dataset was reused and nothing was trained or encoded. */
  reused: boolean
  files: { tokenizer: string; tokens: string; manifest: string }
}

/**
 * Below this many bytes per token of a window, a corpus might hold fewer tokens than one window
 * (a byte-level BPE token averages 2–4 bytes): such a corpus is tokenized in memory first.
 */
const SURE_BYTES_PER_WINDOW_TOKEN = 64

/**
 * Refuses, before anything is written, a corpus that cannot hold one training window (or holds no
 * text), with the sentence preparation would give: a run is not created only to fail. A corpus
 * large enough to be sure of is let through at once; a small one is tokenized in memory (cheap).
 */
export async function checkCorpusHoldsAWindow(
  documents: readonly CorpusDocument[],
  tokenizer: PrepareOptions['tokenizer'],
  seqLen: number,
): Promise<void> {
  const texts = documents.map((document) => document.text).filter((text) => text.length > 0)
  if (texts.length === 0) {
    throw new UserError('no-usable-text', 'The corpus has no text to tokenize: every document is empty.')
  }
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0)
  if (bytes >= (seqLen + 1) * SURE_BYTES_PER_WINDOW_TOKEN) return
  const given = isTokenizer(tokenizer) ? tokenizer : await trainTokenizer(texts, { ...tokenizer, threads: 1 })
  const total = texts.reduce((sum, text) => sum + given.encode(text, 'document').length + 1, 0)
  splitRanges({ totalTokens: total, validationStart: total, validationDocuments: 0, fraction: DEFAULT_VALIDATION_FRACTION }, seqLen)
}

export async function prepareDataset(options: PrepareOptions): Promise<PreparedDataset> {
  const fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION
  const method = options.splitMethod ?? DEFAULT_SPLIT_METHOD
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
  const beginOfText = given?.beginOfText ?? null
  // A chat stream depends on the template, the loss setting and the window as well.
  const chatKey = options.chat ? { ...options.chat, seqLen: options.seqLen } : undefined
  // A `files` key is the one datasets had before blocks existed, so those are still found.
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        format: DATASET_FORMAT,
        corpus: corpusHash,
        request,
        fraction,
        seed,
        ...(method === 'files' ? {} : { split: method }),
        ...(chatKey ? { chat: chatKey } : {}),
        // Documents start with the family's BOS: never the stream a dataset without it holds.
        ...(beginOfText !== null ? { beginOfText } : {}),
      }),
    )
    .digest('hex')
  // The run folder under the containment rule (made when missing): never written through a link.
  ContainedRoot.open(dirname(resolve(options.runDir)), 'The checkpoint folder', { create: true }).folder(basename(resolve(options.runDir)), { create: true })

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
      // A chat split is by whole conversations whatever the method (older chat datasets recorded none).
      (chatKey !== undefined ? manifest.chat !== undefined : (manifest.split.method ?? 'files') === method) &&
      (given && !chatKey && beginOfText === null
        ? manifest.tokenizer.hash === tokenizerHash(given)
        : manifest.key === key),
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

  // Training segments first, then validation segments, each group in corpus order.
  const segments = splitSegments(
    documents.map((document) => document.text),
    method,
    fraction,
    seed,
  )
  const stream = await encodeDocuments(
    segments.map((segment) => segment.text),
    tokenizer,
    {
      threads: options.threads,
      continues: segments.map((segment) => segment.continues),
      onProgress: options.onProgress,
      signal: options.signal,
    },
  )
  const validationDocuments = segments.filter((segment) => segment.validation).length
  const firstValidation = segments.length - validationDocuments
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
      bytes: documents.reduce((sum, document) => sum + Buffer.byteLength(document.text, 'utf8'), 0),
    },
    tokenizer: { ...identity, endOfText: tokenizer.endOfText, file: tokenizer.fileName },
    tokens: tokensRecord(stream.tokens),
    split: {
      seed,
      fraction,
      validationStart:
        firstValidation < segments.length ? stream.starts[firstValidation] : stream.tokens.length,
      validationDocuments,
      method,
      ...(method === 'blocks' ? { blockChars: BLOCK_CHARS } : {}),
    },
    documents: segments.map((segment, position) => ({
      path: documents[segment.document].path,
      bytes: Buffer.byteLength(segment.text, 'utf8'),
      start: stream.starts[position],
      tokens: stream.lengths[position],
      split: segment.validation ? ('validation' as const) : ('train' as const),
    })),
    created: new Date().toISOString(),
  }
  // Check the window before writing, so a too-small corpus leaves no dataset behind to reuse.
  const ranges = splitRanges(layoutOf(manifest), options.seqLen)
  manifest.split.train = sideSummary(manifest, ranges.train)
  manifest.split.validation = sideSummary(manifest, ranges.validation)
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
    tokens: tokensRecord(built.tokens),
    // The method asked for is recorded so that a run asking the same finds this dataset to reuse
    // (a chat split is by whole conversations whatever the method).
    split: {
      seed: at.seed, fraction: at.fraction, method: options.splitMethod ?? DEFAULT_SPLIT_METHOD,
      validationStart: built.validationStart, validationDocuments: built.validationDocuments,
    },
    // The files; the conversations (where each lies in the stream) are listed under chat.windows.
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

/** The manifest's record of the token stream written beside it as tokens.bin. */
function tokensRecord(tokens: TokenArray): DatasetManifest['tokens'] {
  return {
    file: 'tokens.bin',
    dtype: tokens instanceof Uint16Array ? 'uint16' : 'uint32',
    count: tokens.length,
    sha256: tokensHash(tokens),
  }
}

function finish(
  options: PrepareOptions,
  tokenizer: Tokenizer,
  tokens: TokenArray,
  manifest: DatasetManifest,
  reused: boolean,
): PreparedDataset {
  // What differs by kind: how the stream splits, the tokens that are text (not padding), the sides.
  const chat = manifest.chat
  const split = chat ? chatSplit(manifest) : splitRanges(layoutOf(manifest), options.seqLen)
  const textTokens = chat
    ? chat.counts.promptTokens + chat.counts.answerTokens
    : manifest.documents.reduce((sum, document) => sum + document.tokens, 0)
  const sides = chat
    ? // Whole conversations go to one side or the other, as whole files do with `files`.
      { method: 'files' as const, train: chatSide(manifest, 'train'), validation: chatSide(manifest, 'validation') }
    : {
        method: manifest.split.method ?? 'files',
        train: sideSummary(manifest, split.train),
        validation: sideSummary(manifest, split.validation),
      }
  const positions = chat ? chatPositionsOf(manifest) : undefined
  return {
    tokenizer,
    tokens,
    split,
    ...(chat ? { mask: chatMask(manifest), windowStride: chat.counts.windowTokens } : {}),
    ...(positions ? { positions } : {}),
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
      ...(chat ? { chat: chat.counts } : {}),
      split: sides,
    },
    files: {
      tokenizer: join(options.runDir, manifest.tokenizer.file),
      tokens: join(options.runDir, manifest.tokens.file),
      manifest: join(options.runDir, 'dataset.json'),
    },
  }
}

/** One side of a chat dataset: the files its conversations come from, their share of the bytes, its tokens. */
function chatSide(manifest: DatasetManifest, side: 'train' | 'validation'): SplitSide {
  const windows = manifest.chat!.windows
  const all = windows.reduce((sum, w) => sum + w.length, 0)
  const mine = windows.filter((w) => w.split === side)
  const tokens = mine.reduce((sum, w) => sum + w.length, 0)
  return {
    files: new Set(mine.map((w) => w.file)).size,
    bytes: all > 0 ? Math.round((manifest.corpus.bytes * tokens) / all) : 0,
    tokens,
  }
}

/**
 * What a range of the stream holds: the files with text in it, their bytes there (a segment cut by
 * the range counts in proportion to its tokens inside) and its tokens. Worked out from the segments,
 * so it holds for every dataset, older ones and the end-of-stream cut of a tiny corpus included.
 */
export function sideSummary(manifest: DatasetManifest, range: TokenRange): SplitSide {
  const files = new Set<string>()
  let bytes = 0
  for (const segment of manifest.documents) {
    const end = segment.start + segment.tokens + 1 // with its end-of-text
    const inside = Math.min(end, range.end) - Math.max(segment.start, range.start)
    if (inside <= 0) continue
    files.add(segment.path)
    bytes += segment.bytes * Math.min(1, inside / (segment.tokens + 1))
  }
  return { files: files.size, bytes: Math.round(bytes), tokens: range.end - range.start }
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
