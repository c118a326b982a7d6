import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sampleCorpusFiles } from '../../../../../scripts/sample-corpus/generate'
import { loadCorpus } from '../../../../../src/main/engine/corpus'

const folder = resolve(import.meta.dirname, '../../../../../resources/sample-corpus')

describe('the bundled sample corpus', () => {
  it('loads completely: a few hundred KB of text, nothing skipped', async () => {
    const { summary } = await loadCorpus({ folder })
    expect(summary.skipped).toEqual([])
    expect(summary.totals.bytes).toBeGreaterThanOrEqual(300 * 1024)
    expect(summary.totals.bytes).toBeLessThanOrEqual(500 * 1024)
    const folders = new Set(summary.files.map((file) => file.path.split('/')[0]))
    expect([...folders].sort()).toEqual(
      ['README.md', 'code', 'essays', 'fables', 'letters', 'notes', 'poems', 'stories'].sort(),
    )
  })

  it('is exactly what the committed generator writes, so it can be rebuilt and checked', async () => {
    const { documents } = await loadCorpus({ folder })
    const expected = sampleCorpusFiles()
    expect(new Map(documents.map((d) => [d.path, d.text]))).toEqual(expected)
  })

  it('says its licence in its README', async () => {
    const readme = sampleCorpusFiles().get('README.md') ?? ''
    expect(readme).toContain('CC0 1.0 Universal')
    expect(readme).toContain('written for CLLM Studio')
  })

  it('repeats its structure enough for a small model: the 500 commonest words cover most of the text', () => {
    const counts = new Map<string, number>()
    let total = 0
    for (const text of sampleCorpusFiles().values()) {
      for (const word of text.toLowerCase().match(/[a-z']+/g) ?? []) {
        counts.set(word, (counts.get(word) ?? 0) + 1)
        total++
      }
    }
    const top = [...counts.values()].sort((a, b) => b - a).slice(0, 500)
    const covered = top.reduce((n, c) => n + c, 0) / total
    expect(counts.size).toBeGreaterThan(1500) // varied
    expect(covered).toBeGreaterThan(0.8) // and repetitive
  })
})
