import { describe, expect, it } from 'vitest'
import { packTexts } from '../../../../../src/main/engine/tokenizer/packed-texts'
import {
  idleWorkers,
  runWorkerJob,
  startedWorkers,
  warmWorkers,
} from '../../../../../src/main/engine/tokenizer/pool'

describe('the tokenizer worker pool', () => {
  it('starts a worker once when two callers ask for it at the same time', async () => {
    const started = startedWorkers()
    const wanted = idleWorkers() + 1
    await Promise.all([warmWorkers(wanted), warmWorkers(wanted)])
    expect(startedWorkers()).toBe(started + 1)
    expect(idleWorkers()).toBe(wanted)
  })

  it('starts workers ahead of a job and keeps them for the next ones', async () => {
    await warmWorkers(2)
    expect(idleWorkers()).toBeGreaterThanOrEqual(2)
    const started = startedWorkers()
    await warmWorkers(2) // already there: nothing new
    expect(startedWorkers()).toBe(started)

    // Two jobs at once run on the two idle workers; none is started for them.
    const texts = packTexts(['the cat sat', 'on the mat, the cat'])
    const counts = await Promise.all(
      [0, 1].map(async () => {
        const words = new Map<string, number>()
        await runWorkerJob(
          { type: 'count', texts, claims: new SharedArrayBuffer(4) },
          (message) => {
            if (message.type !== 'counted') return false
            message.words.forEach((word, i) => words.set(word, message.counts[i]))
            return true
          },
          undefined,
        )
        return words
      }),
    )
    expect(startedWorkers()).toBe(started)
    expect(idleWorkers()).toBeGreaterThanOrEqual(2)
    // Each job had its own claim counter, so each counted both texts.
    for (const words of counts) expect(words.get(' cat')).toBe(2)
  })

  it('rejects a job at once when it is already cancelled', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(
      runWorkerJob(
        { type: 'merge', words: [], counts: new Float64Array(0), tokens: 256 },
        () => true,
        controller.signal,
      ),
    ).rejects.toMatchObject({ code: 'cancelled' })
  })
})

describe('many workers on one abort signal', () => {
  it('adds one abort listener per signal, not one per worker (no MaxListenersExceededWarning)', async () => {
    const { trainTokenizer } = await import('../../../../../src/main/engine/tokenizer')
    const warnings: string[] = []
    const onWarning = (warning: Error): void => void warnings.push(warning.name)
    process.on('warning', onWarning)
    try {
      const texts = Array.from(
        { length: 24 },
        (_, i) => `text ${i} of the many workers test, words ${i * 7}`,
      )
      const tokenizer = await trainTokenizer(texts, {
        kind: 'bpe',
        vocabSize: 300,
        threads: 12,
        signal: new AbortController().signal,
      })
      expect(tokenizer.vocabSize).toBeGreaterThan(257)
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning')
  })
})
