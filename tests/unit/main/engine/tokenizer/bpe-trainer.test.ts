import { describe, expect, it } from 'vitest'
import { trainTokenizer } from '../../../../../src/main/engine/tokenizer'
import { trainBpe } from '../../../../../src/main/engine/tokenizer/bpe-trainer'
import { GPT2_PATTERN } from '../../../../../src/main/engine/tokenizer/pretokenize'
import type { TokenizeProgress } from '../../../../../src/shared/tokenizer'
import { mixedText } from './mixed-text'

/**
 * The textbook algorithm, with no incremental bookkeeping: recount every pair of every word at
 * each step, take the highest count (ties: smallest left id, then right id), rewrite every word.
 */
function naiveTrain(
  texts: string[],
  tokens: number,
): { merges: Array<[number, number]>; spellings: string[] } {
  const counts = new Map<string, number>()
  for (const text of texts)
    for (const word of text.match(new RegExp(GPT2_PATTERN, 'gu')) ?? [])
      counts.set(word, (counts.get(word) ?? 0) + 1)
  const words = [...counts].map(([word, count]) => ({
    symbols: [...new TextEncoder().encode(word)],
    count,
  }))
  const spellings = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b))
  const merges: Array<[number, number]> = []
  while (spellings.length < tokens) {
    const pairs = new Map<string, number>()
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]},${symbols[i + 1]}`
        pairs.set(key, (pairs.get(key) ?? 0) + count)
      }
    }
    let best: [number, number] | undefined
    let bestCount = 0
    for (const [key, count] of pairs) {
      const [a, b] = key.split(',').map(Number)
      if (
        count > bestCount ||
        (count === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))
      ) {
        best = [a, b]
        bestCount = count
      }
    }
    if (!best) break
    const spelling = spellings[best[0]] + spellings[best[1]]
    let id = spellings.indexOf(spelling)
    if (id < 0) id = spellings.push(spelling) - 1
    merges.push(best)
    for (const word of words) {
      const out: number[] = []
      for (let i = 0; i < word.symbols.length; i++) {
        if (
          i + 1 < word.symbols.length &&
          word.symbols[i] === best[0] &&
          word.symbols[i + 1] === best[1]
        ) {
          out.push(id)
          i++
        } else out.push(word.symbols[i])
      }
      word.symbols = out
    }
  }
  return { merges, spellings }
}

const latin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes)

describe('trainBpe', () => {
  it.each([1, 2, 3])(
    'learns exactly the merges of the textbook algorithm (corpus %i)',
    async (seed) => {
      const texts = [
        mixedText(6_000, seed),
        mixedText(3_000, seed + 10),
        'aaaa aaaa aaa ababab abab a\n\n\n  \t\t',
      ]
      const trained = await trainBpe(texts, { tokens: 256 + 150 })
      const naive = naiveTrain(texts, 256 + 150)
      expect(trained.merges).toEqual(naive.merges)
      expect(trained.tokens.map(latin1)).toEqual(naive.spellings)
    },
  )

  it('puts the 256 bytes first, in byte order, then the merges in the order learned', async () => {
    const trained = await trainBpe(['hello hello hello world'], { tokens: 300 })
    trained.tokens.slice(0, 256).forEach((bytes, id) => expect([...bytes]).toEqual([id]))
    trained.merges.forEach(([a, b]) => {
      const spelling = latin1(trained.tokens[a]) + latin1(trained.tokens[b])
      expect(trained.tokens.findIndex((t) => latin1(t) === spelling)).toBeGreaterThanOrEqual(256)
    })
  })

  it('is deterministic: the same corpus gives the same merges, whatever the document order', async () => {
    const texts = [mixedText(20_000, 7), mixedText(20_000, 8), mixedText(5_000, 9)]
    const a = await trainBpe(texts, { tokens: 700 })
    const b = await trainBpe([...texts].reverse(), { tokens: 700 })
    expect(b.merges).toEqual(a.merges)
    expect(b.tokens).toEqual(a.tokens)
  })

  it('stops early when nothing is left to merge', async () => {
    const trained = await trainBpe(['ab ab'], { tokens: 1000 })
    // "ab", " a"+"b" or " "+"ab": every word becomes one token after a couple of merges.
    expect(trained.tokens.length).toBeLessThan(260)
    expect(trained.tokens.map(latin1)).toContain(' ab')
  })

  it('reports merges done out of the total', async () => {
    const events: TokenizeProgress[] = []
    await trainBpe([mixedText(20_000, 3)], { tokens: 456, onProgress: (p) => events.push(p) })
    expect(events.length).toBeGreaterThanOrEqual(2)
    expect(events.every((e) => e.phase === 'train' && e.total === 200)).toBe(true)
    expect(events[0].done).toBe(0)
    expect(events[events.length - 1].done).toBe(200)
    for (let i = 1; i < events.length; i++)
      expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done)
  })

  it('stops with a cancelled error when its signal is aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(
      trainBpe([mixedText(10_000)], { tokens: 400, signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'cancelled',
    })
  })
})

describe('BPE training on worker threads', () => {
  it('learns the same merges as on one thread, with progress from the worker', async () => {
    const texts = [mixedText(40_000, 21), mixedText(25_000, 22), mixedText(60_000, 23)]
    const single = await trainTokenizer(texts, { kind: 'bpe', vocabSize: 900 })
    const events: TokenizeProgress[] = []
    const parallel = await trainTokenizer(texts, {
      kind: 'bpe',
      vocabSize: 900,
      threads: 2,
      onProgress: (e) => events.push(e),
    })
    expect(parallel.serialize()).toBe(single.serialize())
    expect(events[0]).toEqual({ phase: 'train', done: 0, total: 643 })
    expect(events[events.length - 1]).toEqual({ phase: 'train', done: 643, total: 643 })
  })

  it('stops with a cancelled error', async () => {
    const controller = new AbortController()
    const training = trainTokenizer([mixedText(200_000, 5)], {
      kind: 'bpe',
      vocabSize: 5000,
      threads: 2,
      signal: controller.signal,
    })
    controller.abort()
    await expect(training).rejects.toMatchObject({ code: 'cancelled' })
  })
})
