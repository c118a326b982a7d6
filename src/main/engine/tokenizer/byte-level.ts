/**
 * GPT-2's byte-level alphabet: every byte gets a printable Unicode character so that BPE tokens are
 * ordinary strings in `tokenizer.json` (a space is `Ġ`, a newline `Ċ`). Printable Latin-1 bytes map
 * to themselves; the others to U+0100 upwards, in byte order.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const chars = new Array<string>(256)
  let shifted = 0
  for (let byte = 0; byte < 256; byte++) {
    const printable =
      (byte >= 0x21 && byte <= 0x7e) ||
      (byte >= 0xa1 && byte <= 0xac) ||
      (byte >= 0xae && byte <= 0xff)
    chars[byte] = String.fromCharCode(printable ? byte : 256 + shifted++)
  }
  return chars
})()

/** The inverse of BYTE_TO_CHAR, indexed by char code; -1 for characters outside the alphabet. */
const CHAR_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(512).fill(-1)
  BYTE_TO_CHAR.forEach((char, byte) => (table[char.charCodeAt(0)] = byte))
  return table
})()

/** Bytes → their byte-level string (the form tokens take in `tokenizer.json`). */
export function bytesToByteLevel(bytes: ArrayLike<number>): string {
  let text = ''
  for (let i = 0; i < bytes.length; i++) text += BYTE_TO_CHAR[bytes[i]]
  return text
}

/** A byte-level string → its bytes, or undefined if it holds a character outside the alphabet. */
export function byteLevelToBytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const byte = code < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[code] : -1
    if (byte < 0) return undefined
    bytes[i] = byte
  }
  return bytes
}
