/**
 * Sums the pool's per-step sphere statistics over a period (a progress event's ~100 ms, an epoch):
 * busy and waiting time, tokens and batches; utilisation = busy / wall of the steps in the period.
 */
import type { SphereStats } from '../model/trainer'
import type { SphereStatsPayload } from '../../../shared/training'

interface Totals {
  stats: SphereStats
  busyNs: number
  waitNs: number
  tokens: number
  batches: number
}

export class SphereTotals {
  private readonly byId = new Map<number, Totals>()
  private wallNs = 0

  add(spheres: readonly SphereStats[], wallMs: number): void {
    this.wallNs += wallMs * 1e6
    for (const sphere of spheres) {
      const totals = this.byId.get(sphere.id) ?? { stats: sphere, busyNs: 0, waitNs: 0, tokens: 0, batches: 0 }
      totals.stats = sphere
      totals.busyNs += sphere.busyNs
      totals.waitNs += sphere.waitNs
      totals.tokens += sphere.tokens
      totals.batches += sphere.batches
      this.byId.set(sphere.id, totals)
    }
  }

  get empty(): boolean {
    return this.byId.size === 0
  }

  snapshot(): SphereStatsPayload[] {
    return [...this.byId.values()]
      .sort((a, b) => a.stats.id - b.stats.id)
      .map(({ stats, busyNs, waitNs, tokens, batches }) => ({
        id: stats.id,
        group: stats.group,
        parent: stats.parent,
        state: stats.state,
        busyNs,
        waitNs,
        utilisation: this.wallNs > 0 ? Math.min(1, busyNs / this.wallNs) : 0,
        tokens,
        batches,
        loss: Number.isFinite(stats.loss) ? stats.loss : null,
      }))
  }

  reset(): void {
    this.byId.clear()
    this.wallNs = 0
  }
}
