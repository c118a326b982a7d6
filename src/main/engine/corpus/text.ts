/**
 * Text detection, decoding and counting for one file's bytes. Everything works on the one buffer
 * the loader read, so a file is never read twice.
 */
import { isAscii, isUtf8 } from 'node:buffer'

/** How much of the start of a file decides whether it is text. */
export const SNIFF_BYTES = 8192
/** Above this share of bytes that are not valid UTF-8 (in the sniffed start), a file is binary. */
export const MAX_INVALID_SHARE = 0.3

const UTF8_BOM = [0xef, 0xbb, 0xbf]

/**
 * A file is binary when its first SNIFF_BYTES hold a NUL byte (also how UTF-16 files show up), or
 * when more than MAX_INVALID_SHARE of them are not valid UTF-8. Text in a legacy encoding
 * (a few stray Latin-1 bytes) passes and is decoded with U+FFFD in place of the bad bytes.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  return startLooksBinary(bytes.subarray(0, SNIFF_BYTES), bytes.length)
}

/** The same decision from the first SNIFF_BYTES alone and the file's size (the rest unread). */
export function startLooksBinary(sample: Uint8Array, fileSize: number): boolean {
  if (sample.indexOf(0) !== -1) return true
  if (isUtf8(sample)) return false
  const cutShort = fileSize > sample.length
  return countInvalidUtf8Bytes(sample, cutShort) > sample.length * MAX_INVALID_SHARE
}

/**
 * Counts bytes that are not part of a well-formed UTF-8 sequence (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). When `cutShort`, a sequence truncated by the end of the
 * sample is not held against the file.
 */
export function countInvalidUtf8Bytes(bytes: Uint8Array, cutShort = false): number {
  let invalid = 0
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i]
    if (lead < 0x80) {
      i++
      continue
    }
    const length = sequenceLength(lead)
    if (length === 0) {
      invalid++
      i++
      continue
    }
    const available = Math.min(length, bytes.length - i)
    let ok = true
    for (let k = 1; k < available && ok; k++) ok = isContinuation(lead, k, bytes[i + k])
    if (ok && available === length) {
      i += length
    } else if (ok && cutShort) {
      break
    } else {
      invalid++
      i++
    }
  }
  return invalid
}

/** Bytes in the sequence a lead byte starts, 0 if it cannot start one. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  return 0
}

/** Whether `byte` may follow `lead` at position `k` (the second byte has tighter ranges). */
function isContinuation(lead: number, k: number, byte: number): boolean {
  if (k === 1) {
    if (lead === 0xe0) return byte >= 0xa0 && byte <= 0xbf
    if (lead === 0xed) return byte >= 0x80 && byte <= 0x9f
    if (lead === 0xf0) return byte >= 0x90 && byte <= 0xbf
    if (lead === 0xf4) return byte >= 0x80 && byte <= 0x8f
  }
  return byte >= 0x80 && byte <= 0xbf
}

/**
 * Decodes UTF-8 once, dropping a leading byte-order mark; invalid bytes become U+FFFD. Pure ASCII
 * is decoded as Latin-1: the same text, and Node keeps a Latin-1 string over ~1 MB outside the V8
 * heap, where the garbage collector never copies it.
 */
export function decodeUtf8(bytes: Buffer, ascii = isAscii(bytes)): string {
  if (ascii) return bytes.toString('latin1')
  const start = hasUtf8Bom(bytes) ? UTF8_BOM.length : 0
  return bytes.toString('utf8', start)
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 3 &&
    bytes[0] === UTF8_BOM[0] &&
    bytes[1] === UTF8_BOM[1] &&
    bytes[2] === UTF8_BOM[2]
  )
}

/**
 * Characters are Unicode code points of the decoded text (an emoji is 1, not 2 UTF-16 units;
 * a byte-order mark is not counted). `ascii` is a shortcut for text known to be pure ASCII.
 */
export function countCodePoints(text: string, ascii = false): number {
  if (ascii) return text.length
  let count = text.length
  // The decoder never leaves a lone surrogate, so each low surrogate closes one pair.
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xdc00 && unit <= 0xdfff) count--
  }
  return count
}

/** Lines: the number of '\n', plus one for a last line without one; 0 for empty text. */
export function countLines(text: string): number {
  let lines = 0
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++
  if (text.length > 0 && text.charCodeAt(text.length - 1) !== 10) lines++
  return lines
}
