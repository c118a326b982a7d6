/**
 * A hash table of words given as slices of a text (`text`, `start`, `end`), numbered 0, 1, 2, … in
 * the order added. A lookup makes no string: the keys' UTF-16 code units live in one typed array,
 * so finding a word seen before allocates nothing (most of the garbage a tokenizer made was one
 * string per word) and the table keeps no slice that could hold a whole text alive.
 */
export class SliceTable {
  /** Entry + 1 per slot (0: empty); open addressing, kept at most half full. */
  private slots: Int32Array
  private hashes: Int32Array
  private keyStarts: Int32Array
  private keyLengths: Int32Array
  private chars: Uint16Array
  private entries = 0
  private charsUsed = 0

  constructor(capacity = 1 << 12) {
    this.slots = new Int32Array(2 * capacity)
    this.hashes = new Int32Array(capacity)
    this.keyStarts = new Int32Array(capacity)
    this.keyLengths = new Int32Array(capacity)
    this.chars = new Uint16Array(8 * capacity)
  }

  /** Words in the table. */
  get size(): number {
    return this.entries
  }

  /** Code units of all the words together. */
  get charCount(): number {
    return this.charsUsed
  }

  /** Forgets every word, keeping the memory. */
  clear(): void {
    if (this.entries > 0) this.slots.fill(0)
    this.entries = 0
    this.charsUsed = 0
  }

  /** The entry of `text[start, end)`, whose hash (see hashSlice) is `hash`, or -1. */
  find(text: string, start: number, end: number, hash: number): number {
    const slots = this.slots
    const mask = slots.length - 1
    const length = end - start
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot] - 1
      if (entry < 0) return -1
      if (this.hashes[entry] === hash && this.keyLengths[entry] === length) {
        const chars = this.chars
        let at = this.keyStarts[entry]
        let i = start
        while (i < end && chars[at] === text.charCodeAt(i)) {
          at++
          i++
        }
        if (i === end) return entry
      }
    }
  }

  /** Adds `text[start, end)` (the caller found it absent) and returns its entry. */
  add(text: string, start: number, end: number, hash: number): number {
    const length = end - start
    if (this.entries === this.hashes.length) this.growEntries()
    if (this.charsUsed + length > this.chars.length) {
      let size = 2 * this.chars.length
      while (size < this.charsUsed + length) size *= 2
      const chars = new Uint16Array(size)
      chars.set(this.chars.subarray(0, this.charsUsed))
      this.chars = chars
    }
    const entry = this.entries++
    this.hashes[entry] = hash
    this.keyStarts[entry] = this.charsUsed
    this.keyLengths[entry] = length
    const chars = this.chars
    for (let i = start, at = this.charsUsed; i < end; i++, at++) chars[at] = text.charCodeAt(i)
    this.charsUsed += length
    this.place(entry, hash)
    return entry
  }

  /** The word of an entry, as a string. */
  key(entry: number): string {
    const start = this.keyStarts[entry]
    return codeUnits(this.chars, start, start + this.keyLengths[entry])
  }

  /**
   * Every word, in entry order. All the code units become one string first, and each word is a
   * slice of it: one string per word rather than one conversion per word (several times faster for
   * the tens of thousands a corpus has).
   */
  keys(): string[] {
    const all = codeUnits(this.chars, 0, this.charsUsed)
    return Array.from({ length: this.entries }, (_, entry) =>
      all.slice(this.keyStarts[entry], this.keyStarts[entry] + this.keyLengths[entry]),
    )
  }

  private place(entry: number, hash: number): void {
    const slots = this.slots
    const mask = slots.length - 1
    let slot = hash & mask
    while (slots[slot] !== 0) slot = (slot + 1) & mask
    slots[slot] = entry + 1
  }

  private growEntries(): void {
    const size = 2 * this.hashes.length
    this.hashes = widened(this.hashes, size)
    this.keyStarts = widened(this.keyStarts, size)
    this.keyLengths = widened(this.keyLengths, size)
    this.slots = new Int32Array(2 * size)
    for (let entry = 0; entry < this.entries; entry++) this.place(entry, this.hashes[entry])
  }
}

/** A 32-bit hash of `text[start, end)` (FNV-1a over UTF-16 code units, then a final mix). */
export function hashSlice(text: string, start: number, end: number): number {
  let hash = 0x811c9dc5
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  return hash
}

/**
 * The UTF-16 code units `units[start, end)` as a string, lone surrogates kept as they are (Node's
 * UTF-16 decoding copies code units unchecked). Latin-1 when every unit fits a byte, so that the
 * string is one byte per character, as the texts it came from.
 */
function codeUnits(units: Uint16Array, start: number, end: number): string {
  const run = units.subarray(start, end)
  let widest = 0
  for (let i = 0; i < run.length; i++) widest |= run[i]
  if (widest < 0x100) return Buffer.from(Uint8Array.from(run)).toString('latin1')
  return Buffer.from(run.buffer, run.byteOffset, run.byteLength).toString('utf16le')
}

/** A copy of `array` with room for `size` elements. */
export function widened(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(size)
  next.set(array.subarray(0, Math.min(array.length, size)))
  return next
}
