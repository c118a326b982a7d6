/**
 * Encodes documents into one token stream in a SharedArrayBuffer: each document's ids followed by
 * the tokenizer's end-of-text id. With more than one thread the pieces are spread over real worker
 * threads (contiguous shards of about equal size); their ids are copied into the stream at offsets
 * computed once every shard is back. Uint16 while the vocabulary fits, Uint32 above.
 */
import type { TokenizeProgress } from '../../../shared/tokenizer'
import { TokenBuffer, type Tokenizer } from '../tokenizer'
import { createYielder, throwIfCancelled } from '../tokenizer/yield'
import { cutDocuments, shardBySize, type TextPiece } from '../tokenizer/chunks'
import { packTexts, rangesOf } from '../tokenizer/packed-texts'
import { runWorkerJob } from '../tokenizer/pool'

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
  const totalBytes = pieces.reduce((sum, piece) => sum + Buffer.byteLength(piece.text, 'utf8'), 0)
  const progress = progressCounter(totalBytes, options.onProgress)
  const threads = Math.max(1, Math.min(Math.floor(options.threads ?? 1), pieces.length))
  const wide = tokenizer.vocabSize > 65_536
  // Each piece's ids, exactly sized (Uint16 while the vocabulary fits): no buffer grows to the corpus.
  const encoded = new Array<TokenArray | undefined>(pieces.length)
  if (threads === 1) {
    await encodeHere(pieces, tokenizer, wide, encoded, progress.add, options.signal)
  } else {
    const file = tokenizer.serialize()
    const packed = packTexts(pieces.map((piece) => piece.text))
    let first = 0
    await Promise.all(
      shardBySize(pieces, threads).map((shard) => {
        const offset = first
        const ranges = rangesOf(packed, first, (first += shard.length))
        return runWorkerJob(
          { type: 'encode', tokenizer: file, corpus: packed.buffer, ranges },
          (message) => {
            if (message.type === 'piece') {
              encoded[offset + message.index] = message.ids
              progress.add(message.bytes)
            }
            return message.type === 'encoded'
          },
          options.signal,
        )
      }),
    )
  }
  progress.finish()

  const lengths = new Array<number>(texts.length).fill(0)
  pieces.forEach((piece, p) => (lengths[piece.document] += encoded[p]?.length ?? 0))
  const starts = new Array<number>(texts.length)
  let total = 0
  for (let d = 0; d < texts.length; d++) {
    starts[d] = total
    total += lengths[d] + 1
  }
  const tokens = tokenArrayFor(tokenizer.vocabSize, total)
  // Pieces are in document order: copy them one after another, closing each document with
  // end-of-text once its last piece is in, and let each piece go once copied.
  let at = 0
  let document = 0
  pieces.forEach((piece, p) => {
    for (; document < piece.document; document++) tokens[at++] = tokenizer.endOfText
    const ids = encoded[p] as TokenArray
    tokens.set(ids, at)
    at += ids.length
    encoded[p] = undefined
  })
  for (; document < texts.length; document++) tokens[at++] = tokenizer.endOfText
  return { tokens, starts, lengths }
}

async function encodeHere(
  pieces: TextPiece[],
  tokenizer: Tokenizer,
  wide: boolean,
  encoded: Array<TokenArray | undefined>,
  addProgress: (bytes: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const out = new TokenBuffer(1 << 16)
  // Let progress events and a cancel request through between pieces.
  const maybeYield = createYielder(signal)
  for (let p = 0; p < pieces.length; p++) {
    out.length = 0
    tokenizer.encodeInto(pieces[p].text, out)
    encoded[p] = wide ? out.view().slice() : new Uint16Array(out.view())
    addProgress(Buffer.byteLength(pieces[p].text, 'utf8'))
    const pause = maybeYield()
    if (pause) await pause
  }
  throwIfCancelled(signal)
}

function progressCounter(
  total: number,
  report: ((progress: TokenizeProgress) => void) | undefined,
): { add: (bytes: number) => void; finish: () => void } {
  let done = 0
  let last = -Infinity
  const emit = (): void => report?.({ phase: 'encode', done: Math.min(done, total), total })
  emit()
  return {
    add: (bytes) => {
      done += bytes
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
