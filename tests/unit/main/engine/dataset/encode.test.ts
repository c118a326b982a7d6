import { beforeAll, describe, expect, it } from 'vitest'
import { encodeDocuments } from '../../../../../src/main/engine/dataset/encode'
import { trainTokenizer, type Tokenizer } from '../../../../../src/main/engine/tokenizer'
import { startedWorkers } from '../../../../../src/main/engine/tokenizer/pool'
import { spareBytes } from '../../../../../src/main/engine/tokenizer/shared-buffers'
import type { TokenizeProgress } from '../../../../../src/shared/tokenizer'
import { mixedText } from '../tokenizer/mixed-text'

let tokenizer: Tokenizer
const documents = [
  mixedText(30_000, 1),
  '\ufeffshort one \ud800 with a lone surrogate',
  mixedText(80_000, 2),
  mixedText(5_000, 3),
]
beforeAll(async () => {
  tokenizer = await trainTokenizer(documents, { kind: 'bpe', vocabSize: 800 })
})

describe('encodeDocuments', () => {
  it('writes each document then <|endoftext|> into a shared Uint16 stream', async () => {
    const stream = await encodeDocuments(documents, tokenizer, { threads: 1 })
    expect(stream.tokens).toBeInstanceOf(Uint16Array)
    expect(stream.tokens.buffer).toBeInstanceOf(SharedArrayBuffer)
    const expected = documents.flatMap((text) => [...tokenizer.encode(text), tokenizer.endOfText])
    expect([...stream.tokens]).toEqual(expected)
    documents.forEach((text, d) => {
      const ids = stream.tokens.subarray(stream.starts[d], stream.starts[d] + stream.lengths[d])
      // Lone surrogates come back as U+FFFD, as UTF-8 encoding makes them.
      expect(tokenizer.decode(ids)).toBe(
        new TextDecoder('utf-8', { ignoreBOM: true }).decode(new TextEncoder().encode(text)),
      )
      expect(stream.tokens[stream.starts[d] + stream.lengths[d]]).toBe(tokenizer.endOfText)
    })
  })

  it.each([2, 3])(
    'gives the same stream on %i threads (the caller and workers), with documents cut across them',
    async (threads) => {
      const single = await encodeDocuments(documents, tokenizer, { threads: 1, pieceChars: 2_000 })
      const events: TokenizeProgress[] = []
      const parallel = await encodeDocuments(documents, tokenizer, {
        threads,
        pieceChars: 2_000,
        onProgress: (event) => events.push(event),
      })
      expect(parallel.tokens).toEqual(single.tokens)
      expect(parallel.starts).toEqual(single.starts)
      expect(parallel.lengths).toEqual(single.lengths)
      const total = documents.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0)
      expect(events[0]).toEqual({ phase: 'encode', done: 0, total })
      expect(events[events.length - 1]).toEqual({ phase: 'encode', done: total, total })
    },
  )

  it('reuses the pooled workers and the shared buffers from one encoding to the next', async () => {
    const first = await encodeDocuments(documents, tokenizer, { threads: 3, pieceChars: 2_000 })
    const started = startedWorkers()
    expect(spareBytes()).toBeGreaterThan(0) // the packed text and id buffers, kept for reuse
    const again = await encodeDocuments(documents, tokenizer, { threads: 3, pieceChars: 2_000 })
    expect(startedWorkers()).toBe(started)
    expect(again.tokens).toEqual(first.tokens)
    expect(again.tokens.buffer).not.toBe(first.tokens.buffer) // the stream itself is never reused
  })

  it('switches to a Uint32 stream above 65,536 ids', async () => {
    const text = Array.from({ length: 70_000 }, (_, i) => `w${i}`).join(' ')
    const word = await trainTokenizer([text], { kind: 'word', vocabSize: 70_005 })
    const stream = await encodeDocuments([text, 'w69999 unknown'], word, { threads: 2 })
    expect(stream.tokens).toBeInstanceOf(Uint32Array)
    expect(stream.tokens.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect([...stream.tokens.subarray(stream.starts[1])]).toEqual([
      word.encode('w69999')[0],
      1,
      word.endOfText,
    ])
    expect(Math.max(...stream.tokens.subarray(0, 70_000))).toBeGreaterThan(65_535)
  })

  it('stops with a cancelled error when cancelled midway, and the next encoding still works', async () => {
    // Long enough to outlast the first progress event after the start (50 ms).
    const long = new Array<string>(100).fill(mixedText(100_000, 9))
    const controller = new AbortController()
    let aborted = -1
    await expect(
      encodeDocuments(long, tokenizer, {
        threads: 2,
        pieceChars: 4_000,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.done === 0) return
          aborted = event.done
          controller.abort()
        },
      }),
    ).rejects.toMatchObject({ code: 'cancelled' })
    expect(aborted).toBeGreaterThan(0)
    expect(aborted).toBeLessThan(long.length * Buffer.byteLength(long[0], 'utf8'))
    const again = await encodeDocuments(documents, tokenizer, { threads: 2, pieceChars: 2_000 })
    const single = await encodeDocuments(documents, tokenizer, { threads: 1 })
    expect(again.tokens).toEqual(single.tokens)
  })

  it('stops with a cancelled error', async () => {
    const controller = new AbortController()
    controller.abort()
    for (const threads of [1, 2]) {
      await expect(
        encodeDocuments(documents, tokenizer, { threads, signal: controller.signal }),
      ).rejects.toMatchObject({
        code: 'cancelled',
      })
    }
  })
})
