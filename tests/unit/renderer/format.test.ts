import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  formatCompact,
  formatCount,
  formatDateTime,
  formatDuration,
  formatEpochs,
  formatLoss,
  formatRate,
  formatSeconds,
} from '../../../src/renderer/src/format'

describe('format', () => {
  it('writes sizes with the studio’s one convention (the shared formatter)', () => {
    expect(formatBytes(3_783_805)).toBe('3.61 MiB')
  })

  it('groups digits and shows durations in a readable unit', () => {
    expect(formatCount(1234567)).toBe('1,234,567')
    expect(formatDuration(42.4)).toBe('42 ms')
    expect(formatDuration(1500)).toBe('1.50 s')
    expect(formatDuration(25_000)).toBe('25.0 s')
  })

  it('writes clocks, short counts, losses and rates as a glance reads them', () => {
    expect(formatSeconds(0)).toBe('0 s')
    expect(formatSeconds(59.4)).toBe('59 s')
    expect(formatSeconds(185)).toBe('3m 05s')
    expect(formatSeconds(2 * 3600 + 7 * 60 + 30)).toBe('2h 07m')
    expect(formatSeconds(Number.POSITIVE_INFINITY)).toBe('—')
    expect(formatSeconds(-1)).toBe('—')
    expect(formatCompact(980)).toBe('980')
    expect(formatCompact(12_345)).toBe('12.3 K')
    expect(formatCompact(1_050_000)).toBe('1.05 M')
    expect(formatCompact(134_000)).toBe('134 K')
    expect(formatLoss(6.2146)).toBe('6.215')
    expect(formatLoss(null)).toBe('—')
    expect(formatLoss(Number.NaN)).toBe('—')
    expect(formatRate(0.001)).toBe('1.00e-3')
    expect(formatRate(0)).toBe('0')
  })

  it('shows a date without the year when it is this year', () => {
    const now = new Date('2026-06-01T12:00:00')
    expect(formatDateTime('2026-03-04T05:06:00', now)).not.toContain('2026')
    expect(formatDateTime('2025-03-04T05:06:00', now)).toContain('2025')
    expect(formatDateTime(null)).toBe('—')
    expect(formatDateTime('not a date')).toBe('—')
  })

  it('writes the epoch tile with the total’s decimals, never the current above the total', () => {
    expect(formatEpochs(0.005, 0.00527)).toEqual({ current: '0.0050', total: '0.0053' })
    expect(formatEpochs(0.00527, 0.00527)).toEqual({ current: '0.0053', total: '0.0053' })
    expect(formatEpochs(0.0234, 0.0235)).toEqual({ current: '0.023', total: '0.024' })
    expect(formatEpochs(0.27, 1)).toEqual({ current: '0.27', total: '1' })
    expect(formatEpochs(1, 2)).toEqual({ current: '1', total: '2' })
    expect(formatEpochs(2.499, 2.5)).toEqual({ current: '2.49', total: '2.50' })
    expect(formatEpochs(0.5, null)).toEqual({ current: '0.50', total: null })
    for (const total of [0.00527, 0.0235, 0.3, 1, 2.5, 17]) {
      for (let i = 0; i <= 20; i++) {
        const shown = formatEpochs((total * i) / 20, total)
        expect(Number(shown.current)).toBeLessThanOrEqual(Number(shown.total))
      }
    }
  })
})
