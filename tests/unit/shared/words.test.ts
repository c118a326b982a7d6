import { describe, expect, it } from 'vitest'
import { countOf } from '../../../src/shared/words'

describe('countOf', () => {
  it('puts the noun in the number the count needs', () => {
    expect(countOf(1, 'file')).toBe('1 file')
    expect(countOf(0, 'file')).toBe('0 files')
    expect(countOf(3_783_805, 'byte')).toBe('3,783,805 bytes')
    expect(countOf(2, 'batch', 'batches')).toBe('2 batches')
  })
})
