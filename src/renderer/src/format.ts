/** Numbers as people read them: 1,234,567 and 12.3 MiB. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export function formatCount(value: number): string {
  return integer.format(value)
}

/** Sizes: the studio's one convention (binary units, KiB and MiB), shared with the `cllm` command. */
export { formatBytes } from '../../shared/units'

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
}

/** Whole seconds, short enough for a tile and read at a glance: 42 s, 3m 05s, 2h 07m. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  const total = Math.round(seconds)
  if (total < 60) return `${total} s`
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const secs = total % 60
  if (hours === 0) return `${minutes}m ${String(secs).padStart(2, '0')}s`
  return `${hours}h ${String(minutes).padStart(2, '0')}m`
}

const SI = ['', 'K', 'M', 'B', 'T']

/** Large counts in short form: 980, 12.3 K, 1.05 M (parameters, tokens). */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return '—'
  let scaled = Math.abs(value)
  let unit = 0
  while (scaled >= 1000 && unit < SI.length - 1) {
    scaled /= 1000
    unit++
  }
  if (unit === 0) return formatCount(value)
  const digits = scaled < 10 ? 2 : scaled < 100 ? 1 : 0
  return `${value < 0 ? '-' : ''}${scaled.toFixed(digits)} ${SI[unit]}`
}

/** A loss with the three decimals that show it moving; a dash when there is none yet. */
export function formatLoss(loss: number | null | undefined): string {
  return loss === null || loss === undefined || !Number.isFinite(loss) ? '—' : loss.toFixed(3)
}

/** A learning rate such as 1.0e-3 or 0.000250 → 2.50e-4: always three significant digits. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return '—'
  if (rate === 0) return '0'
  return rate.toExponential(2)
}

/** A date and time from an ISO string, in the reader's locale (the year only when not this one). */
export function formatDateTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  return date.toLocaleString(undefined, {
    ...(date.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  })
}

/**
 * The epoch tile's two figures, current and planned, with the same decimals: as many as the total
 * needs to show more than zero (0.0053 of an epoch, 2.50 epochs), whole epochs without any. The
 * current figure is rounded down and never shown above the total, so "0.01 / 0.0053" cannot happen.
 */
export function formatEpochs(current: number, total: number | null): { current: string; total: string | null } {
  if (total === null || !Number.isFinite(total) || total <= 0) {
    return { current: Number.isInteger(current) ? String(current) : current.toFixed(2), total: null }
  }
  const decimals = Number.isInteger(total) && Number.isInteger(current) ? 0 : total >= 1 ? 2 : Math.min(6, Math.max(2, 1 - Math.floor(Math.log10(total))))
  const totalText = Number.isInteger(total) ? String(total) : total.toFixed(decimals)
  if (current >= total) return { current: totalText, total: totalText }
  const scale = 10 ** decimals
  return { current: (Math.floor(current * scale) / scale).toFixed(decimals), total: totalText }
}
