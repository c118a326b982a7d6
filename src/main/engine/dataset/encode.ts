/**
 * Encodes documents into one token stream in a SharedArrayBuffer: each document's ids followed by
 * the tokenizer's end-of-text id. With more than one thread the pieces are spread over real worker
 * threads (contiguous shards of about equal size); their ids are copied into the stream at offsets
 * computed once every shard is back. Uint16 while the vocabulary fits, Uint32 above.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { UserError } from '../../../shared/errors'
import type { TokenizeProgress } from '../../../shared/tokenizer'
import { TokenBuffer, type Tokenizer } from '../tokenizer'
import { createYielder, throwIfCancelled } from '../tokenizer/yield'
import { cutDocuments, type TextPiece } from './chunks'
import type { EncodeRequest, EncodeWorkerMessage } from './encode-protocol'

export type TokenArray = Uint16Array | Uint32Array

export interface EncodedStream {
  /** The stream, over a SharedArrayBuffer. */
  tokens: TokenArray
  /** Per document (in the order given): where its ids start and how many (end-of-text excluded). */
  starts: number[]
  lengths: number[]
}

export interface EncodeOptions {
  threads?: number
  /** Documents are cut into pieces of about this many characters (tests use small ones). */
  pieceChars?: number
  onProgress?: (progress: TokenizeProgress) => void
  signal?: AbortSignal
}

/** Pieces of about this many characters: small enough to balance threads, large enough to be cheap. */
const PIECE_CHARS = 1 << 20
const PROGRESS_INTERVAL_MS = 50

/** Uint16 holds ids below 65,536. */
export function tokenArrayFor(
  vocabSize: number,
  length: number,
  buffer?: SharedArrayBuffer,
): TokenArray {
  const wide = vocabSize > 65_536
  const bytes = length * (wide ? 4 : 2)
  const shared = buffer ?? new SharedArrayBuffer(bytes)
  return wide ? new Uint32Array(shared, 0, length) : new Uint16Array(shared, 0, length)
}

export async function encodeDocuments(
  texts: readonly string[],
  tokenizer: Tokenizer,
  options: EncodeOptions = {},
): Promise<EncodedStream> {
  const pieces = cutDocuments(texts, options.pieceChars ?? PIECE_CHARS)
  const totalChars = pieces.reduce((sum, piece) => sum + piece.text.length, 0)
  const progress = progressCounter(totalChars, options.onProgress)
  const threads = Math.max(1, Math.min(Math.floor(options.threads ?? 1), pieces.length))
  const shards = threads === 1 ? [pieces] : shardBySize(pieces, threads)
  const results =
    threads === 1
      ? [await encodeHere(pieces, tokenizer, progress.add, options.signal)]
      : await Promise.all(
          shards.map((shard) => encodeInWorker(shard, tokenizer, progress.add, options.signal)),
        )
  progress.finish()

  const lengths = new Array<number>(texts.length).fill(0)
  shards.forEach((shard, s) =>
    shard.forEach((piece, i) => (lengths[piece.document] += results[s].lengths[i])),
  )
  const starts = new Array<number>(texts.length)
  let total = 0
  for (let d = 0; d < texts.length; d++) {
    starts[d] = total
    total += lengths[d] + 1
  }
  const tokens = tokenArrayFor(tokenizer.vocabSize, total)
  // Pieces arrive in document order, shard after shard: copy them one after another, closing each
  // document with end-of-text once its last piece is in.
  let at = 0
  let document = 0
  const closeUntil = (next: number): void => {
    for (; document < next; document++) tokens[at++] = tokenizer.endOfText
  }
  shards.forEach((shard, s) => {
    let offset = 0
    shard.forEach((piece, i) => {
      closeUntil(piece.document)
      const n = results[s].lengths[i]
      tokens.set(results[s].ids.subarray(offset, offset + n), at)
      at += n
      offset += n
    })
  })
  closeUntil(texts.length)
  return { tokens, starts, lengths }
}

interface ShardResult {
  ids: Uint32Array
  lengths: Uint32Array
}

async function encodeHere(
  pieces: TextPiece[],
  tokenizer: Tokenizer,
  addProgress: (chars: number) => void,
  signal: AbortSignal | undefined,
): Promise<ShardResult> {
  const out = new TokenBuffer()
  const lengths = new Uint32Array(pieces.length)
  // Let progress events and a cancel request through between pieces.
  const maybeYield = createYielder(signal)
  for (let i = 0; i < pieces.length; i++) {
    const before = out.length
    tokenizer.encodeInto(pieces[i].text, out)
    lengths[i] = out.length - before
    addProgress(pieces[i].text.length)
    const pause = maybeYield()
    if (pause) await pause
  }
  throwIfCancelled(signal)
  return { ids: out.view(), lengths }
}

async function encodeInWorker(
  pieces: TextPiece[],
  tokenizer: Tokenizer,
  addProgress: (chars: number) => void,
  signal: AbortSignal | undefined,
): Promise<ShardResult> {
  throwIfCancelled(signal)
  const texts = pieces.map((piece) => piece.text)
  const request: EncodeRequest = {
    tokenizer: tokenizer.serialize(),
    texts,
    chars: texts.reduce((sum, text) => sum + text.length, 0),
  }
  const worker = await startEncodeWorker(request)
  return new Promise<ShardResult>((resolve, reject) => {
    let settled = false
    const finish = (outcome: () => void): void => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      void worker.terminate()
      outcome()
    }
    const onAbort = (): void =>
      finish(() => reject(new UserError('cancelled', 'Tokenization was cancelled.')))
    signal?.addEventListener('abort', onAbort)
    worker.on('message', (message: EncodeWorkerMessage) => {
      if (message.type === 'progress') addProgress(message.chars)
      else finish(() => resolve({ ids: message.ids, lengths: message.lengths }))
    })
    worker.on('error', (error) => finish(() => reject(error)))
    worker.on('exit', (code) =>
      finish(() =>
        reject(new Error(`The encoding worker stopped (exit code ${code}) before it finished.`)),
      ),
    )
  })
}

/**
 * The worker to start. In the electron-vite build it is the `dataset-encode-worker` entry next to
 * the bundle (or one folder up when this code sits in a shared chunk). From source (Vitest, tsx)
 * the .ts entry is bundled once per process with esbuild (which tsx and Vite bring) and run as an
 * eval'd script: a worker that loads TypeScript through tsx's loader takes seconds to start.
 */
async function startEncodeWorker(request: EncodeRequest): Promise<Worker> {
  const here = import.meta.url
  if (here.endsWith('.ts'))
    return new Worker(await sourceWorkerCode(here), { eval: true, workerData: request })
  for (const candidate of ['./dataset-encode-worker.js', '../dataset-encode-worker.js']) {
    const url = new URL(candidate, here)
    if (existsSync(fileURLToPath(url))) return new Worker(url, { workerData: request })
  }
  throw new Error(
    'The dataset encoding worker (dataset-encode-worker.js) is missing from this build.',
  )
}

interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles: Array<{ text: string }> }>
}

let workerCode: Promise<string> | undefined

function sourceWorkerCode(here: string): Promise<string> {
  workerCode ??= (async () => {
    // A runtime require, so that the app's bundler never tries to pull esbuild into the build.
    const esbuild = createRequire(here)('esbuild') as EsbuildLike
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./encode-worker.ts', here))],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    })
    return result.outputFiles[0].text
  })()
  return workerCode
}

/** Splits pieces into `count` contiguous shards of about equal character counts. */
export function shardBySize<T extends { text: string }>(pieces: T[], count: number): T[][] {
  const total = pieces.reduce((sum, piece) => sum + piece.text.length, 0)
  const shards: T[][] = []
  let current: T[] = []
  let done = 0
  for (const piece of pieces) {
    current.push(piece)
    done += piece.text.length
    const boundary = (total * (shards.length + 1)) / count
    if (done >= boundary && shards.length < count - 1) {
      shards.push(current)
      current = []
    }
  }
  shards.push(current)
  return shards.filter((shard) => shard.length > 0)
}

function progressCounter(
  total: number,
  report: ((progress: TokenizeProgress) => void) | undefined,
): { add: (chars: number) => void; finish: () => void } {
  let done = 0
  let last = -Infinity
  const emit = (): void => report?.({ phase: 'encode', done: Math.min(done, total), total })
  emit()
  return {
    add: (chars) => {
      done += chars
      const now = performance.now()
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now
        emit()
      }
    },
    finish: () => {
      done = total
      emit()
    },
  }
}
