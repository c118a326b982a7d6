/**
 * Counts GPT-2 pre-tokens (BPE training's first half). Words are looked up as slices of the text
 * (see slice-table.ts): counting a word seen before allocates nothing, so a thread counting a large
 * corpus makes next to no garbage, and strings are made once per distinct word, at the end.
 */
import { preTokenRegex } from './pretokenize'
import { SliceTable, hashSlice } from './slice-table'

export class WordCounter {
  private readonly words = new SliceTable()
  private counts = new Float64Array(1 << 12)
  private readonly regex = preTokenRegex()

  /** Distinct words counted. */
  get size(): number {
    return this.words.size
  }

  /** Counts every pre-token of `text`. */
  countText(text: string): void {
    // Sticky matching from where the last word ended (see preTokenRegex): no match arrays.
    const regex = this.regex
    regex.lastIndex = 0
    let start = 0
    while (start < text.length && regex.test(text)) {
      const end = regex.lastIndex
      this.addSlice(text, start, end, 1)
      start = end
    }
  }

  /** Adds `count` occurrences of `word` (counts from another thread). */
  add(word: string, count: number): void {
    this.addSlice(word, 0, word.length, count)
  }

  /** The distinct words and their counts, in the order first seen. */
  entries(): { words: string[]; counts: Float64Array<ArrayBuffer> } {
    return { words: this.words.keys(), counts: this.counts.slice(0, this.words.size) }
  }

  toMap(): Map<string, number> {
    const map = new Map<string, number>()
    this.words.keys().forEach((word, entry) => map.set(word, this.counts[entry]))
    return map
  }

  private addSlice(text: string, start: number, end: number, count: number): void {
    const hash = hashSlice(text, start, end)
    let entry = this.words.find(text, start, end, hash)
    if (entry < 0) {
      entry = this.words.add(text, start, end, hash)
      if (entry === this.counts.length) {
        const grown = new Float64Array(2 * entry)
        grown.set(this.counts)
        this.counts = grown
      }
      this.counts[entry] = 0
    }
    this.counts[entry] += count
  }
}
