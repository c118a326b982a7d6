/**
 * A run's own end, recorded by the process that ran it: how it ended goes into its run.json, then
 * its writer lock goes. Nothing writes the folder after this.
 */
import type { RunEnd } from '../../../shared/runs'
import { readRunJson, rewriteRunJsonInPlace, writeRunJson } from '../checkpoints'
import type { RunLock } from '../runs'

export async function recordRunEnd(runDir: string, lock: RunLock, ended: RunEnd): Promise<void> {
  try {
    const info = await readRunJson(runDir)
    try {
      await writeRunJson(runDir, { ...info, ended, pid: undefined })
    } catch (error) {
      // A full disk has no room for the atomic copy: the end goes over run.json's own blocks.
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error
      await rewriteRunJsonInPlace(runDir, { ...info, ended, pid: undefined })
    }
  } catch {
    // A run.json that cannot be rewritten leaves the run listed as interrupted; the lock still goes.
  } finally {
    await lock.release()
  }
}
