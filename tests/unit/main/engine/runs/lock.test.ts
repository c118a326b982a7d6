import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireRunLock, isHolderAlive, readRunLock } from '../../../../../src/main/engine/runs'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-lock-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const lockFile = () => join(dir, 'run.lock')

describe('the run folder lock', () => {
  it('refuses a second writer with a sentence naming the holder, and is free again after release', async () => {
    const lock = await acquireRunLock(dir)
    expect(await readRunLock(dir)).toMatchObject({ pid: process.pid, host: hostname() })
    await expect(acquireRunLock(dir)).rejects.toThrow(`Run folder ${dir} is being written by process ${process.pid}`)
    await lock.release()
    expect(await readRunLock(dir)).toBeNull()
    await (await acquireRunLock(dir)).release()
  })

  it('takes over a lock whose process is gone, one whose pid was reused by a later process, and a torn one', async () => {
    const gone = { pid: 2 ** 22 + 12345, host: hostname(), processStarted: new Date().toISOString(), acquired: new Date().toISOString() }
    await writeFile(lockFile(), JSON.stringify(gone))
    expect(isHolderAlive(gone)).toBe(false)
    let lock = await acquireRunLock(dir)
    expect(JSON.parse(await readFile(lockFile(), 'utf8')).pid).toBe(process.pid)
    await lock.release()

    // pid 1 is alive, but it did not start in 1999.
    const reused = { ...gone, pid: 1, processStarted: '1999-01-01T00:00:00.000Z' }
    if (process.platform === 'linux') {
      expect(isHolderAlive(reused)).toBe(false)
      await writeFile(lockFile(), JSON.stringify(reused))
      lock = await acquireRunLock(dir)
      await lock.release()
    }

    await writeFile(lockFile(), '{"pid": 12') // a crash while the lock was written
    lock = await acquireRunLock(dir)
    expect((await readRunLock(dir))?.pid).toBe(process.pid)
    await lock.release()
  })

  it('a lock from another machine is respected (this one cannot tell whether it is alive)', async () => {
    const remote = { pid: 2 ** 22 + 1, host: `${hostname()}-elsewhere`, processStarted: new Date().toISOString(), acquired: new Date().toISOString() }
    await writeFile(lockFile(), JSON.stringify(remote))
    await expect(acquireRunLock(dir)).rejects.toThrow(/on .*-elsewhere/)
  })
})
