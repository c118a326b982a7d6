/**
 * Sizes in bytes, one convention for the whole studio (the UI, the `cllm` command, the engine's
 * messages): binary units named as such — 1 KiB = 1,024 bytes, 1 MiB = 1,024 KiB — with three
 * significant digits, and exact below 1 KiB. Memory is counted in binary units by every system
 * tool, and the flags that take sizes (`--max-file-mb`) already meant MiB.
 */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const

/** 512 B, 1.50 KiB, 300 KiB, 3.61 MiB, 4.00 GiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—'
  if (Math.abs(bytes) < 1024) return `${Math.round(bytes)} B`
  let value = bytes / 1024
  let unit = 0
  // Rounded to the digits shown, a value of 1023.6 KiB reads as 1.00 MiB, not "1024 KiB".
  while (Math.abs(value) >= 1023.5 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const size = Math.abs(value)
  const digits = size < 9.995 ? 2 : size < 99.95 ? 1 : 0
  return `${value.toFixed(digits)} ${UNITS[unit]}`
}
