import { describe, expect, it } from 'vitest'
import { GPT2_PATTERN } from '../../../../../src/main/engine/tokenizer/pretokenize'
import { WordCounter } from '../../../../../src/main/engine/tokenizer/word-counter'
import { mixedText } from './mixed-text'

/** Word counts the plain way: every match of the pattern as a string, in a Map. */
function naiveCounts(texts: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const text of texts)
    for (const word of text.match(new RegExp(GPT2_PATTERN, 'gu')) ?? [])
      counts.set(word, (counts.get(word) ?? 0) + 1)
  return counts
}

describe('WordCounter', () => {
  const texts = [mixedText(40_000, 1), mixedText(40_000, 2), 'a\ud800b \udfff  \r\n\t']

  it('counts the GPT-2 pre-tokens of texts exactly, in the order first seen', () => {
    const counter = new WordCounter()
    for (const text of texts) counter.countText(text)
    expect(counter.toMap()).toEqual(naiveCounts(texts))
    const { words, counts } = counter.entries()
    expect(words).toEqual([...naiveCounts(texts).keys()])
    expect([...counts]).toEqual([...naiveCounts(texts).values()])
  })

  it('adds counts from another counter (another thread) to the same totals', () => {
    const one = new WordCounter()
    one.countText(texts[0])
    const other = new WordCounter()
    other.countText(texts[1])
    other.countText(texts[2])
    const { words, counts } = other.entries()
    words.forEach((word, i) => one.add(word, counts[i]))
    expect(one.toMap()).toEqual(naiveCounts(texts))
  })
})
