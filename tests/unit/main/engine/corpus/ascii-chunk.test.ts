import { describe, expect, it } from 'vitest'
import { AsciiChunk } from '../../../../../src/main/engine/corpus/ascii-chunk'

/** Writes `text` where room() says, as the reader does, and keeps it. */
function put(chunk: AsciiChunk, text: string, into: string[], index: number): void {
  const room = chunk.room(text.length)
  if (!room) throw new Error('no room')
  room.write(text, 'latin1')
  expect(chunk.holds(room.subarray(0, text.length))).toBe(true)
  chunk.keep(text.length, (decoded) => (into[index] = decoded))
}

describe('AsciiChunk', () => {
  it('hands each kept file its own text at flush', () => {
    const chunk = new AsciiChunk(64)
    const out: string[] = []
    put(chunk, 'first file\n', out, 0)
    put(chunk, 'second', out, 1)
    expect(out).toEqual([])
    chunk.flush()
    expect(out).toEqual(['first file\n', 'second'])
  })

  it('flushes by itself when the next file does not fit, and reuses the space', () => {
    const chunk = new AsciiChunk(40)
    const out: string[] = []
    for (const [i, letter] of ['a', 'b', 'c', 'd'].entries()) put(chunk, letter.repeat(10), out, i)
    expect(out).toEqual([]) // 40 of 40 bytes used
    put(chunk, 'e'.repeat(10), out, 4) // does not fit: flushes first
    expect(out).toEqual(['a', 'b', 'c', 'd'].map((letter) => letter.repeat(10)))
    chunk.flush()
    expect(out[4]).toBe('e'.repeat(10))
  })

  it('gives no room to a file above a quarter of the chunk', () => {
    const chunk = new AsciiChunk(64)
    expect(chunk.room(16)).toBeDefined()
    expect(chunk.room(17)).toBeUndefined()
  })

  it('does not claim bytes that came from elsewhere', () => {
    const chunk = new AsciiChunk(64)
    chunk.room(8)
    expect(chunk.holds(Buffer.from('elsewhere'))).toBe(false)
  })
})
