import { describe, expect, it } from 'vitest'
import { chooseValidation, splitRanges } from '../../../../../src/main/engine/dataset/split'

describe('train/validation split', () => {
  const sizes = Array.from({ length: 200 }, (_, i) => 100 + ((i * 7919) % 900))

  it('picks whole documents up to the fraction, the same for the same seed', () => {
    const a = chooseValidation(sizes, 0.1, 1)
    expect(chooseValidation(sizes, 0.1, 1)).toEqual(a)
    expect(chooseValidation(sizes, 0.1, 2)).not.toEqual(a)
    const total = sizes.reduce((s, n) => s + n, 0)
    const validation = sizes.filter((_, i) => a[i]).reduce((s, n) => s + n, 0)
    expect(validation).toBeLessThanOrEqual(total * 0.1)
    expect(validation).toBeGreaterThan(total * 0.09)
    const quarter = chooseValidation(sizes, 0.25, 1)
    expect(sizes.filter((_, i) => quarter[i]).reduce((s, n) => s + n, 0)).toBeGreaterThan(
      total * 0.24,
    )
  })

  it('never puts a document larger than the fraction into validation', () => {
    expect(chooseValidation([1000, 10, 10], 0.1, 5)).toEqual([false, true, true])
    expect(chooseValidation([1000], 0.1, 5)).toEqual([false])
  })

  it('refuses fractions outside (0, 0.5]', () => {
    expect(() => chooseValidation(sizes, 0, 1)).toThrow(/--val-fraction 0 /)
    expect(() => chooseValidation(sizes, 0.6, 1)).toThrow(/--val-fraction/)
  })

  it('uses the document boundary when validation holds a window', () => {
    const ranges = splitRanges(
      { totalTokens: 1000, validationStart: 900, validationDocuments: 3, fraction: 0.1 },
      64,
    )
    expect(ranges).toEqual({
      train: { start: 0, end: 900 },
      validation: { start: 900, end: 1000 },
      overlapping: false,
    })
  })

  it('cuts validation from the end of the stream when no document went there (one document)', () => {
    const ranges = splitRanges(
      { totalTokens: 5000, validationStart: 5000, validationDocuments: 0, fraction: 0.1 },
      64,
    )
    expect(ranges.validation).toEqual({ start: 4500, end: 5000 })
    expect(ranges.train).toEqual({ start: 0, end: 4500 })
  })

  it('grows a validation part shorter than a window to one window', () => {
    const ranges = splitRanges(
      { totalTokens: 1000, validationStart: 980, validationDocuments: 1, fraction: 0.1 },
      64,
    )
    expect(ranges.validation).toEqual({ start: 935, end: 1000 })
    expect(ranges.overlapping).toBe(false)
  })

  it('lets the one validation window overlap training when the corpus is under two windows', () => {
    const ranges = splitRanges(
      { totalTokens: 100, validationStart: 100, validationDocuments: 0, fraction: 0.1 },
      64,
    )
    expect(ranges.train).toEqual({ start: 0, end: 65 })
    expect(ranges.validation).toEqual({ start: 35, end: 100 })
    expect(ranges.overlapping).toBe(true)
  })

  it('refuses a corpus with fewer tokens than one window, naming --seq-len and the count', () => {
    expect(() =>
      splitRanges(
        { totalTokens: 50, validationStart: 50, validationDocuments: 0, fraction: 0.1 },
        64,
      ),
    ).toThrow(/only 50 tokens.*--seq-len 64/)
  })
})
