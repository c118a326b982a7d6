/**
 * Training runs one after another (the spheres use every core, so runs never overlap). Each run is
 * a session of its own with its own run folder; one that is refused or fails is recorded with its
 * sentence and the next one starts anyway.
 *
 * Two shapes of the same rule: `runQueue` runs a fixed list to its end (`cllm queue`), and
 * `RunQueue` is the app's live queue — runs are added and removed while one trains, and the next
 * starts whenever the spheres are free. Both start and end a run through `settle`. The live queue
 * lives in the engine's memory only: it does not survive the process.
 */
import { randomUUID } from 'node:crypto'
import { UserError } from '../../shared/errors'
import { QUEUE_MAX_WAITING, type QueueStatus } from '../../shared/queue'
import type { RunConfigInput, RunFinished } from '../../shared/training'
import { createSession, type SessionOptions, type TrainingSession } from './session'

/** How a queued run ended (a refusal at start is a failure at step 0 without a run folder). */
export interface RunOutcome {
  state: 'done' | 'failed'
  reason: 'completed' | 'stopped' | 'failed'
  message?: string
  step: number
  runDir: string | null
}

/** A run once started: its id at once, its end later. */
export interface StartedRun {
  runId: string
  finished: Promise<RunFinished>
}

/**
 * Starts a run and waits for its end. Never throws: a refusal at start (an impossible config, a
 * damaged checkpoint, a folder the app may not read) becomes a failed outcome with its sentence.
 */
export async function settle(
  start: () => Promise<StartedRun>,
  onStarted: (runId: string) => void = () => undefined,
): Promise<RunOutcome> {
  let finished: RunFinished
  try {
    const run = await start()
    onStarted(run.runId)
    finished = await run.finished
  } catch (error) {
    // A UserError is already a sentence for the user; anything else gets one line, never a stack.
    const message = error instanceof UserError ? error.message : `The run could not start: ${firstLine(error)}`
    return { state: 'failed', reason: 'failed', message, step: 0, runDir: null }
  }
  return {
    state: finished.state,
    reason: finished.reason,
    ...(finished.message !== undefined ? { message: finished.message } : {}),
    step: finished.step,
    runDir: finished.runDir ?? null,
  }
}

// ─── a fixed list (cllm queue) ────────────────────────────────────────────────────────────────────

export interface QueueItem {
  folder: string
  config?: RunConfigInput
  resume?: string
}

export interface QueueResult extends RunOutcome {
  index: number
  folder: string
}

export interface QueueOptions {
  /** Options every session gets (test hooks, no sample…). */
  session?: Partial<SessionOptions>
  /** Called with each session before it runs (progress printing, stop). */
  onSession?: (session: TrainingSession, index: number) => void
  /** Checked before each run: true ends the queue (the runs not started are skipped). */
  cancelled?: () => boolean
}

export async function runQueue(items: readonly QueueItem[], options: QueueOptions = {}): Promise<QueueResult[]> {
  const results: QueueResult[] = []
  for (const [index, item] of items.entries()) {
    if (options.cancelled?.()) break
    const outcome = await settle(async () => {
      const session = await createSession({
        folder: item.folder,
        ...(item.config ? { config: item.config } : {}),
        ...(item.resume ? { resume: item.resume } : {}),
        ...options.session,
      })
      options.onSession?.(session, index)
      return { runId: session.runId, finished: session.run() }
    })
    results.push({ index, folder: item.folder, ...outcome })
  }
  return results
}

// ─── the live queue (the app) ─────────────────────────────────────────────────────────────────────

/** One run in the live queue, with the request it was queued with. */
export interface QueueEntry<Request> {
  id: string
  request: Request
  status: QueueStatus
  message?: string
  runId?: string
  runDir?: string
  step?: number
}

/** Where the live queue's runs start: the same place a run started by hand starts. */
export interface QueueRunner<Request> {
  /** Nothing holds the spheres, so a run may start now. */
  idle(): boolean
  /** Starts the run (throws when it is refused); must claim the spheres before its first await. */
  start(request: Request): Promise<StartedRun>
}

export class RunQueue<Request> {
  private readonly entries: Array<QueueEntry<Request>> = []
  /** The entry whose run this queue started and has not seen end. */
  private current: QueueEntry<Request> | undefined
  private closed = false

  constructor(
    private readonly runner: QueueRunner<Request>,
    /** Told of every change, with the whole queue. */
    private readonly onChange: (entries: Array<QueueEntry<Request>>) => void = () => undefined,
  ) {}

  /** The queue in order, as copies. */
  list(): Array<QueueEntry<Request>> {
    return this.entries.map((entry) => ({ ...entry }))
  }

  /** Queues a run; it starts at once when nothing trains. Returns it as it is after that. */
  add(request: Request): QueueEntry<Request> {
    if (this.closed) throw new UserError('busy', 'The engine is shutting down: nothing more is queued.')
    const waiting = this.entries.filter((entry) => entry.status === 'waiting').length
    if (waiting >= QUEUE_MAX_WAITING) {
      throw new UserError('busy', `The queue already holds ${QUEUE_MAX_WAITING} waiting runs. Remove some before adding more.`)
    }
    const entry: QueueEntry<Request> = { id: randomUUID(), request, status: 'waiting' }
    this.entries.push(entry)
    this.changed()
    this.advance()
    return { ...entry }
  }

  /** Takes a waiting (or ended) run off the queue; the one training is stopped in the Train view instead. */
  remove(id: string): QueueEntry<Request> {
    const index = this.entries.findIndex((entry) => entry.id === id)
    if (index < 0) throw new UserError('not-found', 'That run is not in the queue any more.')
    if (this.entries[index].status === 'running') {
      throw new UserError('busy', 'That run is training now: stop it in the Train view instead.')
    }
    const [removed] = this.entries.splice(index, 1)
    this.changed()
    return removed
  }

  /**
   * Starts the next waiting run when the spheres are free. The queue calls it when its own run
   * ends; the owner calls it whenever another run (one started by hand) frees them.
   */
  advance(): void {
    if (this.closed || this.current || !this.runner.idle()) return
    const next = this.entries.find((entry) => entry.status === 'waiting')
    if (!next) return
    this.current = next
    next.status = 'running'
    this.changed()
    void this.run(next)
  }

  /** Starts nothing more (the engine is shutting down); stopping the run in progress is the owner's job. */
  close(): void {
    this.closed = true
  }

  private async run(entry: QueueEntry<Request>): Promise<void> {
    const outcome = await settle(
      () => this.runner.start(entry.request),
      (runId) => {
        entry.runId = runId
        this.changed()
      },
    )
    entry.status = outcome.state === 'failed' ? 'failed' : outcome.reason === 'stopped' ? 'stopped' : 'done'
    if (outcome.message !== undefined) entry.message = outcome.message
    if (outcome.runDir !== null) entry.runDir = outcome.runDir
    entry.step = outcome.step
    this.current = undefined
    this.changed()
    this.advance()
  }

  private changed(): void {
    this.onChange(this.list())
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]
}
