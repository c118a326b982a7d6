import { describe, expect, it } from 'vitest'
import { cutText } from '../../../../../src/main/engine/tokenizer/chunks'
import { trainTokenizer } from '../../../../../src/main/engine/tokenizer'
import { mixedText } from './mixed-text'

describe('cutting documents for parallel encoding', () => {
  const text = mixedText(200_000, 4)

  it('cuts into pieces that concatenate to the text', () => {
    const pieces = cutText(text, 5_000)
    expect(pieces.length).toBeGreaterThan(20)
    expect(pieces.join('')).toBe(text)
    for (const piece of pieces.slice(0, -1)) expect(piece).toMatch(/\S\n$/)
  })

  it('leaves text without a safe cut whole', () => {
    expect(cutText('x'.repeat(100), 10)).toEqual(['x'.repeat(100)])
    expect(cutText('a\n\nb\n c', 2).join('')).toBe('a\n\nb\n c')
  })

  it.each(['bpe', 'word'] as const)(
    'gives the same %s ids piece by piece as for the whole text',
    async (kind) => {
      const tokenizer = await trainTokenizer([text], { kind, vocabSize: 600 })
      const whole = tokenizer.encode(text)
      const pieces = cutText(text, 3_000).flatMap((piece) => tokenizer.encode(piece))
      expect(pieces).toEqual(whole)
    },
  )
})
