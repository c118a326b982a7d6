/**
 * The tokenizer's worker threads (worker.ts): real worker_threads kept in a small pool, so that a
 * later job (encoding after training, a changed corpus, another run) does not pay for starting and
 * warming up new threads. Idle workers do not keep the process alive and are ended after a while.
 */
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker, type ResourceLimits } from 'node:worker_threads'
import { UserError } from '../../../shared/errors'
import type { WorkerJob, WorkerMessage } from './worker-protocol'
import { builtFileNear } from '../unpacked-path'

/** Idle workers are ended after this long. */
const IDLE_MS = 15_000
/**
 * A smaller young generation than V8's default (3 × 16 MB): tokenizing makes much short-lived
 * garbage, and a small nursery both saves ~30 MB of RSS per thread and stays in cache.
 */
const LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 8 }

const idle: Worker[] = []
let idleTimer: NodeJS.Timeout | undefined
let started = 0
/** Starts warmWorkers has begun and not finished. */
const starting = new Set<Promise<void>>()

/** The jobs waiting on each signal: one listener per signal, however many workers (16 threads and more tripped MaxListenersExceededWarning). */
const abortWatchers = new WeakMap<AbortSignal, Set<() => void>>()

function onAbortOf(signal: AbortSignal | undefined, handler: () => void): () => void {
  if (!signal) return () => undefined
  let handlers = abortWatchers.get(signal)
  if (!handlers) {
    const set = new Set<() => void>()
    handlers = set
    abortWatchers.set(signal, set)
    signal.addEventListener(
      'abort',
      () => {
        for (const each of [...set]) each()
      },
      { once: true },
    )
  }
  handlers.add(handler)
  return () => void handlers.delete(handler)
}

/**
 * Runs one job on a pooled worker. `onMessage` sees every message the job sends and returns true
 * on the one that completes it; `reply` sends the same worker a follow-up (a job in several steps
 * keeps its worker until it completes). Aborting `signal` ends the worker and rejects with
 * 'cancelled'.
 */
export async function runWorkerJob(
  job: WorkerJob,
  onMessage: (message: WorkerMessage, reply: (next: WorkerJob) => void) => boolean,
  signal: AbortSignal | undefined,
  transfer: ArrayBuffer[] = [],
): Promise<void> {
  if (signal?.aborted) throw cancelled()
  const worker = idle.pop() ?? (await startWorker())
  worker.ref() // a pending job keeps the process alive
  return new Promise<void>((resolve, reject) => {
    const detach = (): void => {
      worker.off('message', handle)
      worker.off('error', fail)
      worker.off('exit', onExit)
      unwatch()
    }
    function fail(error: Error): void {
      detach()
      void worker.terminate()
      reject(error)
    }
    function handle(message: WorkerMessage): void {
      if (message.type === 'failed')
        return fail(new Error(`A tokenizer worker failed: ${message.message}`))
      let finished: boolean
      try {
        finished = onMessage(message, reply)
      } catch (error) {
        return fail(error instanceof Error ? error : new Error(String(error)))
      }
      if (finished) {
        detach()
        release(worker)
        resolve()
      }
    }
    const onExit = (code: number): void =>
      fail(new Error(`A tokenizer worker stopped (exit code ${code}) before it finished.`))
    const onAbort = (): void => fail(cancelled())
    const reply = (next: WorkerJob): void => worker.postMessage(next)
    worker.on('message', handle)
    worker.on('error', fail)
    worker.on('exit', onExit)
    const unwatch = onAbortOf(signal, onAbort)
    worker.postMessage(job, transfer)
  })
}

/**
 * Makes sure `count` idle workers exist, starting the missing ones. Calling it before a job (or
 * while something else runs, such as training before encoding) takes worker start-up off the path
 * of the job; the workers stay in the pool until idle for IDLE_MS.
 */
export async function warmWorkers(count: number): Promise<void> {
  // Workers still starting count as there: two calls in a row start them once.
  const missing = Math.max(0, Math.floor(count) - idle.length - starting.size)
  for (let i = 0; i < missing; i++) {
    const start: Promise<void> = startWorker()
      .then(release)
      .finally(() => starting.delete(start))
    starting.add(start)
  }
  await Promise.all(starting)
}

/** Workers idle in the pool now, and workers this process has started in all (tests). */
export function idleWorkers(): number {
  return idle.length
}

export function startedWorkers(): number {
  return started
}

function cancelled(): UserError {
  return new UserError('cancelled', 'Tokenization was cancelled.')
}

function release(worker: Worker): void {
  worker.unref()
  idle.push(worker)
  clearTimeout(idleTimer)
  idleTimer = setTimeout(() => {
    for (const w of idle.splice(0)) void w.terminate()
  }, IDLE_MS)
  idleTimer.unref()
}

/**
 * A new worker. In the electron-vite build its code is the `tokenizer-worker` entry next to the
 * bundle (or one folder up when this code sits in a shared chunk). From source (Vitest, tsx) the
 * .ts entry is bundled once per process with esbuild (which tsx and Vite bring) and run as an
 * eval'd script: a worker that loads TypeScript through tsx's loader takes seconds to start.
 */
async function startWorker(): Promise<Worker> {
  const here = import.meta.url
  let worker: Worker | undefined
  if (here.endsWith('.ts')) {
    // execArgv: [] keeps a tsx parent's loader flags out of the worker: it needs none, and they cost seconds.
    const code = await sourceWorkerCode(here)
    worker = new Worker(code, { eval: true, execArgv: [], resourceLimits: LIMITS })
  } else {
    const built = builtFileNear('tokenizer-worker.js', here)
    if (built) worker = new Worker(pathToFileURL(built), { resourceLimits: LIMITS })
  }
  if (worker === undefined) {
    throw new Error('The tokenizer worker (tokenizer-worker.js) is missing from this build.')
  }
  const made = worker
  started++
  // An idle worker that dies leaves the pool.
  made.on('exit', () => {
    const at = idle.indexOf(made)
    if (at >= 0) idle.splice(at, 1)
  })
  return made
}

interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles: Array<{ text: string }> }>
}

let workerCode: Promise<string> | undefined

function sourceWorkerCode(here: string): Promise<string> {
  workerCode ??= (async () => {
    // A runtime require, so that the app's bundler never tries to pull esbuild into the build.
    const esbuild = createRequire(here)('esbuild') as EsbuildLike
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./worker.ts', here))],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    })
    return result.outputFiles[0].text
  })()
  return workerCode
}
