/**
 * The numbers a run's charts draw, kept as plain arrays of {x, y} that chart.js reads in place: a
 * progress event appends to them and the chart is told to redraw, nothing is copied or rebuilt.
 * They are deliberately not reactive (Vue proxies on tens of thousands of points would cost more
 * than the drawing).
 */
import type { MetricPoint, TrainingProgress } from '../../shared/training'

export interface XY {
  x: number
  y: number
}

/** Weight of the newest loss in the smoothed curve: about the last 20 steps. */
const SMOOTHING = 0.1

export class RunSeries {
  /** Training loss of every step. */
  readonly loss: XY[] = []
  /** The same, exponentially smoothed: the trend a person looks for. */
  readonly smoothLoss: XY[] = []
  /** Validation loss where it was measured (and the untrained model's, at the start). */
  readonly valLoss: XY[] = []
  readonly lr: XY[] = []
  /** Tokens per second, one point per progress event. */
  readonly speed: XY[] = []
  private smoothed: number | null = null
  private lastStep = -1

  /** The untrained model's validation loss, so the curve starts where learning starts. */
  addInitialValLoss(step: number, loss: number | null): void {
    if (loss !== null && Number.isFinite(loss)) this.valLoss.push({ x: step, y: loss })
  }

  add(progress: Pick<TrainingProgress, 'points' | 'step' | 'tokensPerSec'>): void {
    for (const point of progress.points) this.addPoint(point)
    if (progress.points.length > 0 && Number.isFinite(progress.tokensPerSec)) {
      this.speed.push({ x: progress.step, y: progress.tokensPerSec })
    }
  }

  private addPoint(point: MetricPoint): void {
    // A reconnecting page may be sent a step twice; a chart must not draw it backwards.
    if (point.step <= this.lastStep) return
    this.lastStep = point.step
    if (Number.isFinite(point.loss)) {
      this.loss.push({ x: point.step, y: point.loss })
      this.smoothed =
        this.smoothed === null
          ? point.loss
          : this.smoothed + SMOOTHING * (point.loss - this.smoothed)
      this.smoothLoss.push({ x: point.step, y: this.smoothed })
    }
    if (point.valLoss !== undefined && Number.isFinite(point.valLoss)) {
      this.valLoss.push({ x: point.step, y: point.valLoss })
    }
    this.lr.push({ x: point.step, y: point.lr })
  }
}
