/**
 * Texts handed to worker threads as UTF-8 in one SharedArrayBuffer (from the reused ones, see
 * shared-buffers.ts): every worker reads what it needs from the same memory and decodes one text
 * at a time, instead of each holding a structured clone of its share. (Encoding to UTF-8 turns lone
 * surrogates into U+FFFD, which the tokenizers would do anyway, so ids are unchanged.)
 */
import { takeBuffer } from './shared-buffers'

export interface PackedTexts {
  buffer: SharedArrayBuffer
  /** Byte offsets: text i is [ends[i - 1] (0 for the first), ends[i]). */
  ends: Float64Array
  /** 1 where text i is all ASCII: written and read as Latin-1, several times faster than UTF-8. */
  ascii: Uint8Array
}

/** Packs the texts; `bytes[i]`, when given, is `Buffer.byteLength(texts[i], 'utf8')`. */
export function packTexts(texts: readonly string[], bytes?: ArrayLike<number>): PackedTexts {
  const ends = new Float64Array(texts.length)
  const ascii = new Uint8Array(texts.length)
  let total = 0
  texts.forEach((text, i) => {
    const size = bytes ? bytes[i] : Buffer.byteLength(text, 'utf8')
    // A non-ASCII character takes more than one UTF-8 byte, so equal lengths mean all ASCII.
    ascii[i] = size === text.length ? 1 : 0
    ends[i] = total += size
  })
  const buffer = takeBuffer(total)
  const view = Buffer.from(buffer)
  texts.forEach((text, i) => {
    const start = i === 0 ? 0 : ends[i - 1]
    view.write(text, start, ends[i] - start, ascii[i] ? 'latin1' : 'utf8')
  })
  return { buffer, ends, ascii }
}

/** Reads texts back by index (a leading U+FEFF is kept, as it was written). */
export function textReader(packed: PackedTexts): (i: number) => string {
  const view = Buffer.from(packed.buffer)
  return (i) =>
    view.toString(
      packed.ascii[i] ? 'latin1' : 'utf8',
      i === 0 ? 0 : packed.ends[i - 1],
      packed.ends[i],
    )
}
