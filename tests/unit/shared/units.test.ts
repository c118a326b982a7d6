import { describe, expect, it } from 'vitest'
import { formatBytes } from '../../../src/shared/units'

describe('formatBytes', () => {
  it('is exact below 1 KiB', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1)).toBe('1 B')
    expect(formatBytes(1023)).toBe('1023 B')
  })

  it('names binary units as such, with three significant digits', () => {
    expect(formatBytes(1024)).toBe('1.00 KiB')
    expect(formatBytes(1536)).toBe('1.50 KiB')
    expect(formatBytes(300 * 1024)).toBe('300 KiB')
    expect(formatBytes(3_783_805)).toBe('3.61 MiB')
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MiB')
    expect(formatBytes(4 * 1024 ** 3)).toBe('4.00 GiB')
  })

  it('never shows a unit’s worth of the smaller unit after rounding', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.00 MiB')
    expect(formatBytes(9.999 * 1024)).toBe('10.0 KiB')
    expect(formatBytes(99.99 * 1024)).toBe('100 KiB')
  })

  it('shows a dash for what is not a size', () => {
    expect(formatBytes(Number.NaN)).toBe('—')
  })
})
