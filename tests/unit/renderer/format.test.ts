import { describe, expect, it } from 'vitest'
import { formatBytes, formatCount, formatDuration } from '../../../src/renderer/src/format'

describe('format', () => {
  it('writes sizes in binary units like the engine, exact below 1 KB', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1)).toBe('1 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1024)).toBe('1.00 KB')
    expect(formatBytes(1536)).toBe('1.50 KB')
    expect(formatBytes(300 * 1024)).toBe('300 KB')
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MB')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.00 GB')
  })

  it('groups digits and shows durations in a readable unit', () => {
    expect(formatCount(1234567)).toBe('1,234,567')
    expect(formatDuration(42.4)).toBe('42 ms')
    expect(formatDuration(1500)).toBe('1.50 s')
    expect(formatDuration(25_000)).toBe('25.0 s')
  })
})
