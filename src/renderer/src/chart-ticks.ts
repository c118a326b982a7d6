/**
 * Round ticks on a chart's x axis. Fitted to its data, chart.js puts a tick at the first and the
 * last value (0.08, 50.08, … seconds; 1, 101, 201 steps; 0, 100, …, 400, 436 with the last two
 * labels on top of each other). These keep chart.js's spacing but put every tick on a multiple of
 * it, inside the axis, so 0, 50, 100 … and nothing else.
 */

/** What this needs of a chart.js scale (a `Scale` passes as it is). */
export interface TickAxis {
  min: number
  max: number
  ticks: Array<{ value: number }>
}

export function roundTicks(axis: TickAxis): void {
  const ticks = axis.ticks
  if (ticks.length < 3) return
  const spacing = ticks[2].value - ticks[1].value
  if (!(spacing > 0) || !Number.isFinite(axis.min) || !Number.isFinite(axis.max)) return
  // Decimals of the spacing, so that 3 × 0.2 is written 0.6, not 0.6000000000000001.
  const decimals = Math.max(0, -Math.floor(Math.log10(spacing)) + 1)
  const first = Math.ceil(axis.min / spacing - 1e-9)
  const round: Array<{ value: number }> = []
  for (let i = first; i * spacing <= axis.max + spacing * 1e-9; i++) {
    round.push({ value: Number((i * spacing).toFixed(decimals)) })
  }
  axis.ticks = round
}
