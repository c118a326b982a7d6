/**
 * The writer lock of a run folder: `run.lock` holds the writing process's pid, host and start time.
 * It is created with O_EXCL, so of two processes only one gets it; the other is refused with a
 * sentence naming the holder. A lock whose process is gone (killed, crashed, or its pid reused by a
 * process that started later) is stale and is taken over. While a lock is held by a live process
 * the run is "running"; a lock left by a dead one marks it "interrupted".
 */
import { readFileSync } from 'node:fs'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { UserError } from '../../../shared/errors'

export const LOCK_FILE = 'run.lock'

export const RunLockInfo = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  /** When the holding process started (ISO): with the pid, it tells a reused pid from the holder. */
  processStarted: z.string(),
  /** When the lock was taken (ISO). */
  acquired: z.string(),
})
export type RunLockInfo = z.infer<typeof RunLockInfo>

export interface RunLock {
  readonly path: string
  readonly info: RunLockInfo
  /** Removes the lock (only if it is still this one). Safe to call twice. */
  release(): Promise<void>
}

/** Start time of this process, fixed once (uptime drifts by milliseconds between calls). */
const THIS_PROCESS_STARTED = new Date(Date.now() - process.uptime() * 1000).toISOString()

function ownInfo(): RunLockInfo {
  return {
    pid: process.pid,
    host: hostname(),
    processStarted: THIS_PROCESS_STARTED,
    acquired: new Date().toISOString(),
  }
}

/** Seconds between a process's recorded start and the one the system reports that still count as the same. */
const START_TOLERANCE_MS = 5000

/**
 * Whether the process that holds a lock is still running. A lock from another host is taken to be
 * alive (this machine cannot tell). On Linux a pid reused by a process that started at another time
 * counts as dead.
 */
export function isHolderAlive(info: RunLockInfo): boolean {
  if (info.host !== hostname()) return true
  if (info.pid === process.pid) return info.processStarted === THIS_PROCESS_STARTED
  try {
    process.kill(info.pid, 0)
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const started = linuxProcessStart(info.pid)
  if (started === null) return true
  return Math.abs(started - Date.parse(info.processStarted)) <= START_TOLERANCE_MS
}

/** A process's start time in ms since the epoch, from /proc (Linux); null elsewhere or when unknown. */
function linuxProcessStart(pid: number): number | null {
  if (process.platform !== 'linux') return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime, in clock ticks since boot) counts from after the command name's ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[19])
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))
    if (!boot || !Number.isFinite(ticks)) return null
    return Number(boot[1]) * 1000 + (ticks * 1000) / 100 // USER_HZ is 100 on Linux
  } catch {
    return null
  }
}

/** The lock in a run folder, or null when there is none (or it cannot be read as one). */
export async function readRunLock(runDir: string): Promise<RunLockInfo | null> {
  try {
    const parsed = RunLockInfo.safeParse(JSON.parse(await readFile(join(runDir, LOCK_FILE), 'utf8')))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/**
 * Takes the run folder's writer lock. Throws UserError 'busy' when a live process holds it; takes
 * over a stale one (its holder is dead).
 */
export async function acquireRunLock(runDir: string): Promise<RunLock> {
  const path = join(runDir, LOCK_FILE)
  for (let attempt = 0; attempt < 5; attempt++) {
    const info = ownInfo()
    try {
      const file = await open(path, 'wx')
      try {
        await file.writeFile(JSON.stringify(info) + '\n')
        await file.sync()
      } finally {
        await file.close()
      }
      return lockHandle(path, info)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const text = await readFile(path, 'utf8').catch(() => null)
    if (text === null) continue // released meanwhile: try again
    const parsed = RunLockInfo.safeParse(safeJson(text))
    if (parsed.success && isHolderAlive(parsed.data)) {
      const holder = parsed.data
      throw new UserError(
        'busy',
        `Run folder ${runDir} is being written by process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`} (since ${holder.acquired}); a second writer is refused.`,
      )
    }
    // Stale (or torn by a crash while it was written): move it aside, then check that what moved is
    // the lock judged stale, not one a faster process has just taken over; put a live one back.
    const aside = `${path}.${process.pid}.${Date.now()}.stale`
    try {
      await rename(path, aside)
    } catch {
      continue
    }
    const moved = await readFile(aside, 'utf8').catch(() => null)
    if (moved !== null && moved !== text) {
      await rename(aside, path).catch(() => undefined)
      continue
    }
    await rm(aside, { force: true })
  }
  throw new UserError('busy', `Run folder ${runDir} is locked by another process; try again.`)
}

function lockHandle(path: string, info: RunLockInfo): RunLock {
  let released = false
  return {
    path,
    info,
    release: async () => {
      if (released) return
      released = true
      const current = await readFile(path, 'utf8').catch(() => null)
      const parsed = current === null ? null : RunLockInfo.safeParse(safeJson(current))
      if (parsed?.success && parsed.data.pid === info.pid && parsed.data.acquired === info.acquired) {
        await rm(path, { force: true })
      }
    },
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
