/**
 * Texts handed to worker threads as UTF-8 in one SharedArrayBuffer: every worker reads its share
 * from the same memory and decodes one piece at a time, instead of each holding a structured
 * clone of its whole share. (Encoding to UTF-8 turns lone surrogates into U+FFFD, which the
 * tokenizers would do anyway, so ids are unchanged.)
 */
export interface PackedTexts {
  buffer: SharedArrayBuffer
  /** Byte offsets: text i is [ends[i - 1] (0 for the first), ends[i]). */
  ends: Float64Array
}

export function packTexts(texts: readonly string[]): PackedTexts {
  const ends = new Float64Array(texts.length)
  let total = 0
  texts.forEach((text, i) => (ends[i] = total += Buffer.byteLength(text, 'utf8')))
  const buffer = new SharedArrayBuffer(Math.max(1, total))
  const encoder = new TextEncoder()
  texts.forEach((text, i) => {
    const start = i === 0 ? 0 : ends[i - 1]
    encoder.encodeInto(text, new Uint8Array(buffer, start, ends[i] - start))
  })
  return { buffer, ends }
}

/** The byte ranges [start, end) of texts first..last-1, as pairs. */
export function rangesOf(packed: PackedTexts, first: number, last: number): Float64Array {
  const ranges = new Float64Array(2 * (last - first))
  for (let i = first; i < last; i++) {
    ranges[2 * (i - first)] = i === 0 ? 0 : packed.ends[i - 1]
    ranges[2 * (i - first) + 1] = packed.ends[i]
  }
  return ranges
}

/** Decodes one packed text (a leading U+FEFF is kept, as TextEncoder wrote it). */
export function unpackText(buffer: SharedArrayBuffer, start: number, end: number): string {
  return Buffer.from(buffer, start, end - start).toString('utf8')
}
