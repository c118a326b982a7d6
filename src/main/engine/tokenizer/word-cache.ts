/**
 * The encoder's memo of words already merged: word → its ids, looked up by a slice of the text
 * (see slice-table.ts), so a hit allocates nothing. Bounded: it empties itself when full (no LRU
 * bookkeeping; the frequent words come back at once).
 */
import { SliceTable, widened } from './slice-table'

/** Words kept at most before the cache empties itself. */
const MAX_ENTRIES = 1 << 17
/** UTF-16 code units of words kept at most (the encoder caches words of 256 at most). */
const MAX_CHARS = 1 << 22
const MAX_IDS = 1 << 21

export class WordCache {
  private readonly words = new SliceTable()
  private idStarts = new Int32Array(1 << 12)
  private idLengths = new Int32Array(1 << 12)
  private ids = new Uint32Array(1 << 14)
  private idsUsed = 0

  get size(): number {
    return this.words.size
  }

  /** Forgets every word, keeping the memory for the next ones. */
  clear(): void {
    this.words.clear()
    this.idsUsed = 0
  }

  /** The entry of `text[start, end)` (whose hash is `hash`, see hashSlice), or -1. */
  find(text: string, start: number, end: number, hash: number): number {
    return this.words.find(text, start, end, hash)
  }

  /** Where entry `entry`'s ids start in `idPool()`, and how many. */
  idStart(entry: number): number {
    return this.idStarts[entry]
  }

  idLength(entry: number): number {
    return this.idLengths[entry]
  }

  /** The ids of every entry, back to back (valid until the next `add`). */
  idPool(): Uint32Array {
    return this.ids
  }

  /** Remembers `text[start, end)` → `ids[0, count)`; the caller has checked it is not there yet. */
  add(
    text: string,
    start: number,
    end: number,
    hash: number,
    ids: Int32Array,
    count: number,
  ): void {
    if (
      this.words.size === MAX_ENTRIES ||
      this.words.charCount + (end - start) > MAX_CHARS ||
      this.idsUsed + count > MAX_IDS
    ) {
      this.clear()
    }
    const entry = this.words.add(text, start, end, hash)
    if (entry === this.idStarts.length) {
      this.idStarts = widened(this.idStarts, 2 * entry)
      this.idLengths = widened(this.idLengths, 2 * entry)
    }
    if (this.idsUsed + count > this.ids.length) {
      let size = 2 * this.ids.length
      while (size < this.idsUsed + count) size *= 2
      const grown = new Uint32Array(size)
      grown.set(this.ids.subarray(0, this.idsUsed))
      this.ids = grown
    }
    this.idStarts[entry] = this.idsUsed
    this.idLengths[entry] = count
    const pool = this.ids
    // A loop, not set(subarray(…)): most words are a few ids, and this runs once per new word.
    for (let i = 0, at = this.idsUsed; i < count; i++, at++) pool[at] = ids[i]
    this.idsUsed += count
  }
}
