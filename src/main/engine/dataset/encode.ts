/**
 * Encodes documents into one token stream in a SharedArrayBuffer: each document's ids followed by
 * the tokenizer's end-of-text id. Uint16 while the vocabulary fits, Uint32 above. A document's
 * ids are what Hugging Face's tokenizer gives for the file: the family's BOS first where its
 * post_processor adds one (Llama's `<s>`), and a SentencePiece ▁ before the first word; a text
 * that continues a document (a later segment of a split file) gets neither, and nor does a piece
 * after a cut (see chunks.ts), so the pieces' ids are the whole's.
 *
 * N threads are the calling thread and N − 1 pooled workers. Documents are cut into pieces; every
 * thread claims pieces from a shared counter until none is left (see piece-ledger.ts), the caller
 * reading its pieces from the strings it holds, the workers from one shared UTF-8 copy, each with
 * an encoder of its own built from the tokenizer's compact tables. Then every thread copies its
 * pieces' ids into the stream at offsets computed from the ledger. Two messages per worker each
 * way, and the stream does not depend on the number of threads or on who encoded what.
 */
import type { TokenizeProgress } from '../../../shared/tokenizer'
import type { Tokenizer } from '../tokenizer'
import { cutDocuments, type TextPiece } from '../tokenizer/chunks'
import { packTexts } from '../tokenizer/packed-texts'
import {
  IdSink,
  PIECE_CONTINUATION,
  PIECE_DOCUMENT,
  PieceLedger,
  copyOwnPieces,
  encodeClaimedPieces,
  partOf,
} from '../tokenizer/piece-ledger'
import { runWorkerJob, warmWorkers } from '../tokenizer/pool'
import type { WorkerJob } from '../tokenizer/worker-protocol'
import { giveBack, takeBuffer } from '../tokenizer/shared-buffers'
import { createYielder, throwIfCancelled } from '../tokenizer/yield'

export type TokenArray = Uint16Array | Uint32Array

export interface EncodedStream {
  /** The stream, over a SharedArrayBuffer. */
  tokens: TokenArray
  /** Per document (in the order given): where its ids start and how many (end-of-text excluded). */
  starts: number[]
  lengths: number[]
}

export interface EncodeOptions {
  /** The calling thread plus this many minus one workers. */
  threads?: number
  /** Documents are cut into pieces of about this many characters (tests use small ones). */
  pieceChars?: number
  /** Per text: true when it continues a document begun in an earlier text (see SplitSegment). */
  continues?: readonly boolean[]
  onProgress?: (progress: TokenizeProgress) => void
  signal?: AbortSignal
}

/**
 * Pieces of about this many characters: a few milliseconds of work each, so that threads that
 * claim them one at a time finish within a piece of each other.
 */
const PIECE_CHARS = 1 << 16
const PROGRESS_INTERVAL_MS = 50
/** A first guess of ids per UTF-8 byte, to size the id buffers (they grow if it is short). */
const IDS_PER_BYTE = 0.3

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
  throwIfCancelled(options.signal)
  const pieces = cutDocuments(texts, options.pieceChars ?? PIECE_CHARS)
  const parts = pieceParts(pieces, options.continues)
  const bytes = Float64Array.from(pieces, (piece) => Buffer.byteLength(piece.text, 'utf8'))
  const totalBytes = bytes.reduce((sum, n) => sum + n, 0)
  const progress = progressCounter(totalBytes, options.onProgress)
  const threads = Math.max(1, Math.min(Math.floor(options.threads ?? 1), pieces.length))
  const wide = tokenizer.vocabSize > 65_536
  const idBytes = Math.ceil((totalBytes / threads) * IDS_PER_BYTE) * (wide ? 4 : 2)
  const ledger = new PieceLedger(pieces.length)
  const borrowed: SharedArrayBuffer[] = []

  const helpers: WorkerShare[] = []
  if (threads > 1) {
    await warmWorkers(threads - 1) // started before anything is claimed, so they join at once
    const packed = packTexts(
      pieces.map((piece) => piece.text),
      bytes,
    )
    borrowed.push(packed.buffer)
    const encoder = tokenizer.encoderSpec()
    for (let owner = 1; owner < threads; owner++) {
      const ids = takeBuffer(idBytes)
      borrowed.push(ids)
      helpers.push(
        startWorkerShare(
          { type: 'encode', encoder, texts: packed, parts, ledger: ledger.buffer, owner, ids, wide },
          options.signal,
        ),
      )
    }
  }
  const finished = Promise.all(helpers.map((helper) => helper.finished))
  finished.catch(() => undefined) // awaited below, unless this thread fails first

  const own = new IdSink(takeBuffer(idBytes), wide)
  borrowed.push(own.buffer)
  const maybeYield = createYielder(options.signal)
  await encodeClaimedPieces({
    ledger,
    owner: 0,
    encoder: tokenizer.createEncoder(),
    sink: own,
    text: (p) => pieces[p].text,
    part: (p) => partOf(parts[p]),
    bytes: (p) => bytes[p],
    // Let progress events, worker messages and a cancel request through between pieces.
    between: () => {
      progress.report(ledger.doneBytes())
      return maybeYield()
    },
  })
  await Promise.race([Promise.all(helpers.map((helper) => helper.encoded)), finished])
  throwIfCancelled(options.signal)
  progress.finish()

  const { starts, lengths, offsets, total } = layOut(pieces, ledger, texts.length)
  const tokens = tokenArrayFor(tokenizer.vocabSize, total)
  const stream = tokens.buffer as SharedArrayBuffer
  // Every thread copies its own pieces, at once.
  for (const helper of helpers) helper.write(stream, offsets)
  copyOwnPieces(ledger, 0, own.view(), tokens, offsets)
  for (let d = 0; d < texts.length; d++) tokens[starts[d] + lengths[d]] = tokenizer.endOfText
  await finished
  // No thread touches them again: the next job reuses their (already touched) memory.
  giveBack(own.buffer, ...borrowed)
  for (const helper of helpers) if (helper.grown) giveBack(helper.grown)
  return { tokens, starts, lengths }
}

/**
 * Per piece, PIECE_DOCUMENT where it starts a document (a text's first piece, unless the text
 * continues a document), else PIECE_CONTINUATION.
 */
function pieceParts(pieces: readonly TextPiece[], continues: readonly boolean[] = []): Uint8Array {
  return Uint8Array.from(pieces, (piece, p) =>
    (p === 0 || pieces[p - 1].document !== piece.document) && continues[piece.document] !== true
      ? PIECE_DOCUMENT
      : PIECE_CONTINUATION,
  )
}

/**
 * Where each document and each piece goes in the stream: pieces are in document order, and each
 * document is followed by end-of-text.
 */
function layOut(
  pieces: readonly TextPiece[],
  ledger: PieceLedger,
  documents: number,
): { starts: number[]; lengths: number[]; offsets: Float64Array; total: number } {
  const lengths = new Array<number>(documents).fill(0)
  pieces.forEach((piece, p) => (lengths[piece.document] += ledger.length(p)))
  const starts = new Array<number>(documents)
  let total = 0
  for (let d = 0; d < documents; d++) {
    starts[d] = total
    total += lengths[d] + 1
  }
  const offsets = new Float64Array(pieces.length)
  let document = -1
  let at = 0
  pieces.forEach((piece, p) => {
    if (piece.document !== document) at = starts[(document = piece.document)]
    offsets[p] = at
    at += ledger.length(p)
  })
  return { starts, lengths, offsets, total }
}

/** A worker's part of an encoding: its encode step, then its write step. */
interface WorkerShare {
  /** Settles when the worker has encoded its last piece. */
  encoded: Promise<void>
  /** Settles when the worker has written its pieces into the stream (or failed). */
  finished: Promise<void>
  /** A larger id buffer the worker made for itself, if it had to. */
  grown: SharedArrayBuffer | undefined
  write(stream: SharedArrayBuffer, offsets: Float64Array): void
}

function startWorkerShare(job: WorkerJob, signal: AbortSignal | undefined): WorkerShare {
  let markEncoded = (): void => undefined
  let next: ((job: WorkerJob) => void) | undefined
  const share: WorkerShare = {
    encoded: new Promise<void>((resolve) => (markEncoded = resolve)),
    finished: Promise.resolve(),
    grown: undefined,
    write: (stream, offsets) => next?.({ type: 'write', stream, offsets }),
  }
  share.finished = runWorkerJob(
    job,
    (message, reply) => {
      if (message.type === 'encoded') {
        share.grown = message.grown
        next = reply
        markEncoded()
      }
      return message.type === 'written'
    },
    signal,
  )
  return share
}

function progressCounter(
  total: number,
  onProgress: ((progress: TokenizeProgress) => void) | undefined,
): { report: (done: number) => void; finish: () => void } {
  let last = -Infinity
  const emit = (done: number): void =>
    onProgress?.({ phase: 'encode', done: Math.min(done, total), total })
  emit(0)
  return {
    report: (done) => {
      const now = performance.now()
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now
        emit(done)
      }
    },
    finish: () => emit(total),
  }
}
