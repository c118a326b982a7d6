import { join } from 'node:path'
import { writeFile, mkdir } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { useCorpusStore } from '../../../../src/renderer/src/stores/corpus'
import { loadCorpus } from '../../../../src/main/engine/corpus'
import { connectStoresToEngine } from '../engine-fixture'

const engine = connectStoresToEngine()

describe('corpus store', () => {
  it('scans a folder and keeps the engine’s summary, skips grouped by reason', async () => {
    const store = useCorpusStore()
    await store.scan(engine().corpus)
    const direct = await loadCorpus({ folder: engine().corpus })
    expect(store.status).toBe('done')
    expect(store.error).toBeNull()
    expect(store.summary?.totals).toEqual(direct.summary.totals)
    expect(store.summary?.files.map((f) => f.path)).toEqual(direct.summary.files.map((f) => f.path))
    const groups = Object.fromEntries(
      store.skippedByReason.map((g) => [g.reason, g.paths.map((p) => p.path)]),
    )
    const expected: Record<string, string[]> = {}
    for (const skip of direct.summary.skipped) (expected[skip.reason] ??= []).push(skip.path)
    expect(groups).toEqual(expected)
    expect(Object.keys(groups).sort()).toEqual(['binary', 'node_modules'])
  })

  it('turns a bad folder into an error message, never a stale summary', async () => {
    const store = useCorpusStore()
    await store.scan(engine().corpus)
    await store.scan(join(engine().corpus, 'missing'))
    expect(store.status).toBe('error')
    expect(store.summary).toBeNull()
    expect(store.error).toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('missing'),
    })

    await store.scan(join(engine().corpus, 'one.txt'))
    expect(store.error?.code).toBe('not-a-folder')
    await store.scan('/')
    expect(store.error?.code).toBe('forbidden')
    await store.scan('   ')
    expect(store.error?.code).toBe('invalid-input')
  })

  it('cancels a scan in progress', async () => {
    const big = join(engine().dir, 'big')
    await mkdir(big)
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => writeFile(join(big, `f${i}.txt`), `file ${i}\n`)),
    )
    const store = useCorpusStore()
    const scanning = store.scan(big)
    expect(store.status).toBe('scanning')
    await store.cancel()
    await scanning
    expect(store.cancelled).toBe(true)
    expect(store.status).toBe('idle')
    expect(store.error).toBeNull()
  })
})

describe('corpus store without a folder dialog', () => {
  it('leaves everything as it was when the transport has no dialog', async () => {
    const store = useCorpusStore()
    await store.scan(engine().corpus)
    expect(await store.pickFolder()).toBe(false)
    expect(store.status).toBe('done')
    expect(store.summary?.root).toBe(engine().corpus)
  })
})
