/**
 * Encoding one batch of text pieces on several threads at once (the calling thread and workers).
 * Each thread claims the next piece from a shared atomic counter, so a thread that starts late or
 * runs on a busier core simply takes fewer pieces, and writes the piece's ids to its own id buffer
 * (an `IdSink`). The ledger records, per piece, which thread holds its ids, where and how many;
 * the caller then copies them into the stream in piece order. Pieces encode independently, so the
 * stream is the same whoever encoded what.
 */
import { TokenBuffer } from './token-buffer'
import type { IdEncoder, TextPart } from './types'

/** A piece's part of its document (see TextPart), as stored per piece in a Uint8Array. */
export const PIECE_DOCUMENT = 0
export const PIECE_CONTINUATION = 1

export const partOf = (code: number): TextPart =>
  code === PIECE_DOCUMENT ? 'document' : 'continuation'

const HEADER_BYTES = 16
const OWNER = 0
const START = 1
const LENGTH = 2

export class PieceLedger {
  readonly buffer: SharedArrayBuffer
  readonly pieces: number
  /** [0]: UTF-8 bytes encoded so far, all threads together. */
  private readonly progress: BigInt64Array
  /** [0]: the next piece to claim. */
  private readonly next: Int32Array
  /** Per piece: owner, start, length (length -1 until recorded). */
  private readonly table: Int32Array

  /** A new ledger for `pieces` pieces, or the view of one another thread made. */
  constructor(pieces: number | SharedArrayBuffer) {
    this.buffer =
      typeof pieces === 'number' ? new SharedArrayBuffer(HEADER_BYTES + 12 * pieces) : pieces
    this.pieces = (this.buffer.byteLength - HEADER_BYTES) / 12
    this.progress = new BigInt64Array(this.buffer, 0, 1)
    this.next = new Int32Array(this.buffer, 8, 1)
    this.table = new Int32Array(this.buffer, HEADER_BYTES, 3 * this.pieces)
    if (typeof pieces === 'number') for (let p = 0; p < pieces; p++) this.table[3 * p + LENGTH] = -1
  }

  /** The next unclaimed piece, or -1 when every piece is taken. */
  claim(): number {
    const piece = Atomics.add(this.next, 0, 1)
    return piece < this.pieces ? piece : -1
  }

  /** Piece `piece`'s ids are `count` ids at `start` in thread `owner`'s id buffer. */
  record(piece: number, owner: number, start: number, count: number, bytes: number): void {
    this.table[3 * piece + OWNER] = owner
    this.table[3 * piece + START] = start
    // Stored last and atomically: whoever sees the length also sees the ids written before it.
    Atomics.store(this.table, 3 * piece + LENGTH, count)
    Atomics.add(this.progress, 0, BigInt(bytes))
  }

  owner(piece: number): number {
    return this.table[3 * piece + OWNER]
  }

  start(piece: number): number {
    return this.table[3 * piece + START]
  }

  /** How many ids piece `piece` has; -1 while it is not encoded. */
  length(piece: number): number {
    return Atomics.load(this.table, 3 * piece + LENGTH)
  }

  doneBytes(): number {
    return Number(Atomics.load(this.progress, 0))
  }
}

/** One thread's ids, back to back, in a SharedArrayBuffer (replaced by a larger one as it fills). */
export class IdSink {
  length = 0
  private ids: Uint16Array | Uint32Array

  constructor(
    public buffer: SharedArrayBuffer,
    readonly wide: boolean,
  ) {
    this.ids = idView(buffer, wide)
  }

  /** Appends the ids and returns where they start. */
  append(source: Uint32Array): number {
    const start = this.length
    if (start + source.length > this.ids.length) this.grow(start + source.length)
    this.ids.set(source, start)
    this.length += source.length
    return start
  }

  view(): Uint16Array | Uint32Array {
    return this.ids
  }

  private grow(needed: number): void {
    const size = Math.max(needed, 2 * this.ids.length)
    this.buffer = new SharedArrayBuffer(size * (this.wide ? 4 : 2))
    const ids = idView(this.buffer, this.wide)
    ids.set(this.ids.subarray(0, this.length))
    this.ids = ids
  }
}

/** The ids in a sink's buffer: Uint32 when ids may exceed 65,535, else Uint16. */
export function idView(buffer: SharedArrayBuffer, wide: boolean): Uint16Array | Uint32Array {
  return wide
    ? new Uint32Array(buffer, 0, buffer.byteLength >> 2)
    : new Uint16Array(buffer, 0, buffer.byteLength >> 1)
}

/** Copies thread `owner`'s pieces from its ids into the stream, piece p at `offsets[p]`. */
export function copyOwnPieces(
  ledger: PieceLedger,
  owner: number,
  ids: Uint16Array | Uint32Array,
  stream: Uint16Array | Uint32Array,
  offsets: Float64Array,
): void {
  for (let p = 0; p < ledger.pieces; p++) {
    if (ledger.owner(p) !== owner) continue
    const start = ledger.start(p)
    stream.set(ids.subarray(start, start + ledger.length(p)), offsets[p])
  }
}

export interface ClaimLoop {
  ledger: PieceLedger
  /** This thread's number in the ledger (0: the calling thread). */
  owner: number
  encoder: IdEncoder
  sink: IdSink
  text: (piece: number) => string
  /** Where the piece stands in its document (its start, or a continuation). */
  part: (piece: number) => TextPart
  bytes: (piece: number) => number
  /** Called after each piece; a promise it returns is awaited (the calling thread yields there). */
  between?: () => Promise<void> | undefined
}

/** Claims and encodes pieces until none is left. */
export async function encodeClaimedPieces(loop: ClaimLoop): Promise<void> {
  const { ledger, owner, encoder, sink } = loop
  const out = new TokenBuffer(1 << 16)
  for (let piece = ledger.claim(); piece >= 0; piece = ledger.claim()) {
    out.length = 0
    encoder.encodeInto(loop.text(piece), out, loop.part(piece))
    const start = sink.append(out.view())
    ledger.record(piece, owner, start, out.length, loop.bytes(piece))
    const pause = loop.between?.()
    if (pause) await pause
  }
}
