/**
 * A run's metrics.jsonl, appended in order behind the training loop. A failed append (disk full,
 * I/O error) is kept, never left as an unhandled rejection (which would end the whole process,
 * `cllm serve` included); the loop ends the run on it (`check`).
 */
import { join } from 'node:path'
import type { MetricsRecord } from '../../../shared/checkpoint'
import { UserError } from '../../../shared/errors'
import type { MetricPoint } from '../../../shared/training'
import { appendMetrics } from '../checkpoints'

export class MetricsLog {
  private queue: Promise<void> = Promise.resolve()
  private failure: unknown

  constructor(private readonly runDir: string) {}

  /** Appends after the writes before it; nothing more once one has failed. */
  write(records: MetricsRecord[]): void {
    this.queue = this.queue
      .then(() => (this.failure === undefined ? appendMetrics(this.runDir, records) : undefined))
      .catch((error: unknown) => {
        this.failure ??= error
      })
  }

  /** Throws the first failed append as one sentence: the run ends failed with it. */
  check(): void {
    if (this.failure !== undefined) throw metricsWriteFailure(this.runDir, this.failure)
  }

  /** Resolves once every write so far is on disk (or has failed). */
  async settled(): Promise<void> {
    await this.queue
  }
}

/** One step's line of metrics.jsonl (a loss that is not finite is written as null). */
export function metricsRecord(point: MetricPoint, tokensPerSec: number): MetricsRecord {
  return {
    step: point.step,
    epoch: point.epoch,
    loss: Number.isFinite(point.loss) ? point.loss : null,
    ...(point.valLoss !== undefined ? { val_loss: Number.isFinite(point.valLoss) ? point.valLoss : null } : {}),
    lr: point.lr,
    grad_norm: point.gradNorm,
    tokens_per_s: tokensPerSec,
    time: new Date().toISOString(),
  }
}

function metricsWriteFailure(runDir: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EIO' ? 'an input/output error' : code === 'EDQUOT' ? 'the disk quota is used up' : (code ?? String(error))
  return new UserError('unreadable', `Could not append to ${join(runDir, 'metrics.jsonl')}: ${why}${code ? ` (${code})` : ''}. The run stops here; its metrics up to the last complete line and its last checkpoint are kept.`)
}
