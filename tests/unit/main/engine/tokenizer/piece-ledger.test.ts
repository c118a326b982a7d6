import { beforeAll, describe, expect, it } from 'vitest'
import { trainTokenizer, type Tokenizer } from '../../../../../src/main/engine/tokenizer'
import { cutText } from '../../../../../src/main/engine/tokenizer/chunks'
import { packTexts } from '../../../../../src/main/engine/tokenizer/packed-texts'
import {
  IdSink,
  PieceLedger,
  copyOwnPieces,
  encodeClaimedPieces,
  idView,
  PIECE_CONTINUATION,
} from '../../../../../src/main/engine/tokenizer/piece-ledger'
import { runWorkerJob } from '../../../../../src/main/engine/tokenizer/pool'
import { mixedText } from './mixed-text'

let tokenizer: Tokenizer
const pieces = cutText(mixedText(120_000, 31) + '\n\ud800 end\n' + mixedText(20_000, 32), 3_000)
beforeAll(async () => {
  tokenizer = await trainTokenizer(pieces, { kind: 'bpe', vocabSize: 900 })
})

/** Piece p's ids, as the ledger says where they are. */
const idsOf = (
  ledger: PieceLedger,
  views: Array<Uint16Array | Uint32Array>,
  p: number,
): number[] => [
  ...views[ledger.owner(p)].subarray(ledger.start(p), ledger.start(p) + ledger.length(p)),
]

describe('PieceLedger', () => {
  it('hands out every piece exactly once, then -1', () => {
    const ledger = new PieceLedger(5)
    const other = new PieceLedger(ledger.buffer) // another thread's view of the same ledger
    expect([ledger.claim(), other.claim(), ledger.claim(), other.claim(), ledger.claim()]).toEqual([
      0, 1, 2, 3, 4,
    ])
    expect(other.claim()).toBe(-1)
    expect(ledger.length(2)).toBe(-1)
    other.record(2, 1, 10, 7, 300)
    expect([ledger.owner(2), ledger.start(2), ledger.length(2), ledger.doneBytes()]).toEqual([
      1, 10, 7, 300,
    ])
  })

  it('gives the calling thread’s pieces the same ids as a worker’s, and the worker writes them', async () => {
    // The calling thread alone (from the strings) …
    const here = new PieceLedger(pieces.length)
    const sink = new IdSink(new SharedArrayBuffer(64), false) // tiny: it has to grow
    await encodeClaimedPieces({
      ledger: here,
      owner: 0,
      encoder: tokenizer.createEncoder(),
      sink,
      text: (p) => pieces[p],
      part: () => 'continuation',
      bytes: (p) => Buffer.byteLength(pieces[p], 'utf8'),
    })
    expect(sink.buffer.byteLength).toBeGreaterThan(64)
    // … and a real worker alone (from the packed UTF-8), claiming from its own ledger.
    const there = new PieceLedger(pieces.length)
    const texts = packTexts(pieces)
    const stream = new Uint16Array(new SharedArrayBuffer(2 * sink.length))
    const offsets = new Float64Array(pieces.length)
    for (let p = 1; p < pieces.length; p++) offsets[p] = offsets[p - 1] + here.length(p - 1)
    const given = new SharedArrayBuffer(64) // tiny: the worker has to grow it
    let workerIds: SharedArrayBuffer | undefined
    await runWorkerJob(
      {
        type: 'encode',
        encoder: tokenizer.encoderSpec(),
        texts,
        parts: new Uint8Array(pieces.length).fill(PIECE_CONTINUATION),
        ledger: there.buffer,
        owner: 3,
        ids: given,
        wide: false,
      },
      (message, reply) => {
        if (message.type === 'encoded') {
          workerIds = message.grown
          reply({ type: 'write', stream: stream.buffer as SharedArrayBuffer, offsets })
        }
        return message.type === 'written'
      },
      undefined,
    )
    expect(workerIds).toBeInstanceOf(SharedArrayBuffer)
    const views: Array<Uint16Array | Uint32Array> = []
    views[0] = sink.view()
    views[3] = idView(workerIds as SharedArrayBuffer, false)
    const total = pieces.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0)
    expect(here.doneBytes()).toBe(total)
    expect(there.doneBytes()).toBe(total)
    for (let p = 0; p < pieces.length; p++) {
      expect(there.owner(p)).toBe(3)
      expect(idsOf(there, views, p)).toEqual(idsOf(here, views, p))
      expect(idsOf(here, views, p)).toEqual(tokenizer.encode(pieces[p]))
    }
    // The worker's write step put its pieces end to end, as the calling thread's copy does.
    const copied = new Uint16Array(new SharedArrayBuffer(2 * sink.length))
    copyOwnPieces(here, 0, sink.view(), copied, offsets)
    expect([...stream]).toEqual([...copied])
    expect([...stream]).toEqual(pieces.flatMap((text) => tokenizer.encode(text)))
  })
})
