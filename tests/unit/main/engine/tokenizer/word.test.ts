import { describe, expect, it } from 'vitest'
import { WORD_SPECIAL_TOKENS, WordTokenizer } from '../../../../../src/main/engine/tokenizer'

describe('word tokenizer (CLLM)', () => {
  const corpus = ['The cat sat.\nthe CAT ran sat', 'a dog\tsat   on THE mat the']
  const tokenizer = WordTokenizer.train(corpus, 9)

  it('puts <PAD> <UNK> <BOS> <EOS> <MASK> at ids 0–4', () => {
    expect(tokenizer.decode([0, 1, 2, 3, 4])).toBe('<PAD> <UNK> <BOS> <EOS> <MASK>')
    expect(tokenizer.endOfText).toBe(3)
  })

  it('keeps the most frequent lowercased words up to the cap, ties by first occurrence', () => {
    // the ×4, cat ×2, sat ×2 (cat seen first), then "sat.", first of the words seen once.
    expect(tokenizer.vocabSize).toBe(9)
    expect(tokenizer.decode([5, 6, 7, 8])).toBe('the cat sat sat.')
  })

  it('encodes lowercased whitespace-split words, unknown words as <UNK>', () => {
    expect(tokenizer.encode('THE   Cat\n\tSAT dog')).toEqual([5, 6, 7, 1])
    expect(tokenizer.encode('   ')).toEqual([])
  })

  it('decodes by joining words with single spaces (lossy, as the original)', () => {
    const ids = tokenizer.encode('The\ncat\t\tsat.')
    expect(tokenizer.decode(ids)).toBe('the cat sat.')
    expect(tokenizer.pieces(ids)).toEqual(['the', ' cat', ' sat.'])
  })

  it('writes vocab.txt as token<TAB>count and reads it back', () => {
    const file = tokenizer.serialize()
    expect(file.split('\n').slice(0, 8)).toEqual([
      ...WORD_SPECIAL_TOKENS.map((special) => `${special}\t0`),
      'the\t4',
      'cat\t2',
      'sat\t2',
    ])
    const again = WordTokenizer.parse(file, 'vocab.txt')
    expect(again.serialize()).toBe(file)
    expect(again.encode('the cat sat. mat')).toEqual(tokenizer.encode('the cat sat. mat'))
  })

  it('stops at the number of distinct words when the cap is larger', () => {
    expect(WordTokenizer.train(['b a b'], 100).vocabSize).toBe(7)
  })

  it('refuses a vocab.txt without the specials first or with malformed lines', () => {
    expect(() => WordTokenizer.parse('the\t3\n', 'v.txt')).toThrow(/v\.txt must start with <PAD>/)
    expect(() => WordTokenizer.parse('<PAD>\tzero\n', 'v.txt')).toThrow(/v\.txt line 1/)
  })
})
