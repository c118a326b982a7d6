/**
 * The training queue as the UI sees it: runs waiting their turn, the one training, and how the
 * others ended. Pure schemas, so the engine's answers are validated and the renderer gets the types.
 */
import { z } from 'zod'

/** waiting → running → done | stopped | failed (a run refused at start goes straight to failed). */
export const QueueStatus = z.enum(['waiting', 'running', 'done', 'stopped', 'failed'])
export type QueueStatus = z.infer<typeof QueueStatus>

export const QueueItem = z.object({
  id: z.string(),
  /** The corpus folder (absolute). */
  folder: z.string(),
  /** The config as it was queued (the Train form's); the engine checks it when the run starts. */
  config: z.unknown().optional(),
  resume: z.string().optional(),
  initFrom: z.string().optional(),
  status: QueueStatus,
  /** Why it failed — the start's refusal or the run's error — as the engine says it. */
  message: z.string().optional(),
  /** The run's id once started (the Train view follows it by this id). */
  runId: z.string().optional(),
  /** The run folder, once the run has ended with one (its page in the Runs view). */
  runDir: z.string().optional(),
  /** The step it ended at. */
  step: z.number().int().nonnegative().optional(),
})
export type QueueItem = z.infer<typeof QueueItem>

export const QueueListing = z.object({ items: z.array(QueueItem) })
export type QueueListing = z.infer<typeof QueueListing>

/** Waiting runs the engine holds at most: a queue is a plan for an evening, not a store. */
export const QUEUE_MAX_WAITING = 100
