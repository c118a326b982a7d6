import { beforeAll, describe, expect, it } from 'vitest'
import {
  TokenBuffer,
  trainTokenizer,
  type Tokenizer,
} from '../../../../../src/main/engine/tokenizer'
import { BpeEncoder, type BpeTables } from '../../../../../src/main/engine/tokenizer/bpe-encoder'
import { encoderFromSpec } from '../../../../../src/main/engine/tokenizer/encoder-spec'
import { WordCache } from '../../../../../src/main/engine/tokenizer/word-cache'
import { mixedText } from './mixed-text'

let tokenizer: Tokenizer
beforeAll(async () => {
  tokenizer = await trainTokenizer([mixedText(200_000, 21)], { kind: 'bpe', vocabSize: 1200 })
})

const encodeWith = (encoder: { encodeInto: Tokenizer['encodeInto'] }, text: string): number[] => {
  const out = new TokenBuffer()
  encoder.encodeInto(text, out)
  return out.toArray()
}

/** Distinct letter-only words (GPT-2 keeps each whole): " a", " b", …, " ba", … */
const distinctWords = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => {
    let word = ''
    for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26))
      word = String.fromCharCode(97 + ((n - 1) % 26)) + word
    return ` ${word}`
  })

describe('BpeEncoder', () => {
  it('encodes alike from the compact tables a worker receives (structured-cloned)', () => {
    const spec = structuredClone(tokenizer.encoderSpec())
    expect(spec.kind).toBe('bpe')
    const text = mixedText(60_000, 5)
    const expected = tokenizer.encode(text)
    expect(encodeWith(encoderFromSpec(spec), text)).toEqual(expected)
    expect(encodeWith(tokenizer.createEncoder(), text)).toEqual(expected)
  })

  it('gives the same ids with a word cache reused (emptied) from an earlier job', () => {
    const spec = tokenizer.encoderSpec() as { kind: 'bpe'; tables: BpeTables }
    const cache = new WordCache()
    encodeWith(new BpeEncoder(spec.tables, undefined, cache), mixedText(30_000, 6))
    expect(cache.size).toBeGreaterThan(0)
    cache.clear()
    expect(cache.size).toBe(0)
    const text = mixedText(30_000, 7)
    expect(encodeWith(new BpeEncoder(spec.tables, undefined, cache), text)).toEqual(
      tokenizer.encode(text),
    )
  })

  it('keeps its word cache bounded, with the same ids after it empties itself', () => {
    const spec = tokenizer.encoderSpec() as { kind: 'bpe'; tables: BpeTables }
    const words = distinctWords(150_000)
    const cache = new WordCache()
    const ids = encodeWith(new BpeEncoder(spec.tables, undefined, cache), words.join(''))
    expect(cache.size).toBeGreaterThan(0)
    expect(cache.size).toBeLessThanOrEqual(1 << 17)
    // Reference: batches small enough that a fresh encoder's cache never fills.
    const expected: number[] = []
    for (let i = 0; i < words.length; i += 20_000) {
      const encoder = new BpeEncoder(spec.tables)
      expected.push(...encodeWith(encoder, words.slice(i, i + 20_000).join('')))
    }
    expect(ids.length).toBe(expected.length)
    expect(ids.join()).toBe(expected.join()) // one string compare: quick on 300,000 ids
  })

  it('builds the word tokenizer’s encoder from its word list', async () => {
    const word = await trainTokenizer(['the cat and The dog and the bird'], {
      kind: 'word',
      vocabSize: 8,
    })
    const text = 'The bird and the fish'
    expect(encodeWith(encoderFromSpec(structuredClone(word.encoderSpec())), text)).toEqual(
      word.encode(text),
    )
  })
})
