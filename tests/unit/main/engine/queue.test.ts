/**
 * The live queue's rules with a runner that only pretends to train (the real engine is in
 * api/handlers/queue.test.ts and, for `runQueue`, cli/commands/queue.test.ts): one run at a time,
 * what a crash at start or mid-run becomes, the cap on waiting runs, and closing.
 */
import { describe, expect, it } from 'vitest'
import { RunQueue, type QueueEntry, type StartedRun } from '../../../../src/main/engine/queue'
import { QUEUE_MAX_WAITING } from '../../../../src/shared/queue'
import type { RunFinished } from '../../../../src/shared/training'

/** A runner whose runs end when the test says so. */
function fakeRunner() {
  const ends: Array<(finished: Partial<RunFinished>) => void> = []
  let busy = false
  let started = 0
  const runner = {
    idle: () => !busy,
    start: async (name: string): Promise<StartedRun> => {
      if (name === 'refused') throw new Error('disk on fire\n    at somewhere (file.ts:1:1)')
      busy = true
      started++
      const finished = new Promise<RunFinished>((resolveEnd, reject) => {
        ends.push((end) => {
          busy = false
          if (name === 'crash') reject(new Error('worker died'))
          else resolveEnd({ runId: name, state: 'done', reason: 'completed', step: 5, runDir: `/runs/${name}`, ...end } as RunFinished)
        })
      })
      return { runId: name, finished }
    },
  }
  return { runner, ends, started: () => started }
}

const flush = () => new Promise((resolveWait) => setImmediate(resolveWait))
const statuses = (entries: Array<QueueEntry<string>>) => entries.map((entry) => `${entry.request}:${entry.status}`)

describe('RunQueue', () => {
  it('starts one run at a time, in order, and turns a crash at start or mid-run into a failure of that run only', async () => {
    const { runner, ends, started } = fakeRunner()
    const seen: string[][] = []
    const queue = new RunQueue(runner, (entries) => seen.push(statuses(entries)))
    for (const name of ['a', 'refused', 'crash', 'b']) queue.add(name)
    await flush()
    expect(statuses(queue.list())).toEqual(['a:running', 'refused:waiting', 'crash:waiting', 'b:waiting'])
    expect(started()).toBe(1)

    ends.shift()!({})
    await flush()
    // "refused" failed at start; "crash" took the spheres next.
    expect(statuses(queue.list())).toEqual(['a:done', 'refused:failed', 'crash:running', 'b:waiting'])
    expect(queue.list()[1].message).toBe('The run could not start: disk on fire')
    ends.shift()!({})
    await flush()
    expect(queue.list()[2]).toMatchObject({ status: 'failed', message: 'The run could not start: worker died', step: 0 })
    ends.shift()!({ reason: 'stopped', step: 2 })
    await flush()
    expect(queue.list()[3]).toMatchObject({ status: 'stopped', step: 2, runDir: '/runs/b' })
    // Every change was told, and never two runs at once.
    expect(seen.every((entries) => entries.filter((entry) => entry.endsWith(':running')).length <= 1)).toBe(true)
  })

  it(`holds at most ${QUEUE_MAX_WAITING} waiting runs, and starts nothing once closed`, async () => {
    const { runner, ends, started } = fakeRunner()
    const queue = new RunQueue(runner)
    queue.add('running')
    for (let i = 0; i < QUEUE_MAX_WAITING; i++) queue.add(`w${i}`)
    expect(() => queue.add('one too many')).toThrow(`The queue already holds ${QUEUE_MAX_WAITING} waiting runs`)
    queue.remove(queue.list()[1].id)
    queue.add('fits again')

    queue.close()
    ends.shift()!({})
    await flush()
    expect(started()).toBe(1)
    expect(queue.list().filter((entry) => entry.status === 'waiting')).toHaveLength(QUEUE_MAX_WAITING)
    expect(() => queue.add('late')).toThrow('shutting down')
  })
})
