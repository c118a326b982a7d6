import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  checkVocabSize,
  loadTokenizer,
  parseTokenizer,
  tokenizerHash,
  trainTokenizer,
} from '../../../../../src/main/engine/tokenizer'
import { UserError } from '../../../../../src/shared/errors'
import type { TokenizeProgress } from '../../../../../src/shared/tokenizer'
import { mixedText } from './mixed-text'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-tokenizer-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function userError(run: () => unknown): UserError {
  try {
    run()
  } catch (error) {
    if (error instanceof UserError) return error
    throw error
  }
  throw new Error('expected a UserError')
}

describe('vocabulary size limits', () => {
  it.each([
    ['bpe', 256, /--vocab-size 256 .* use 257 to 262144/],
    ['bpe', 262_145, /use 257 to 262144/],
    ['bpe', 1000.5, /--vocab-size 1000.5/],
    ['word', 5, /use 6 to 262144/],
  ] as const)('refuses %s with %s', (kind, size, message) => {
    const error = userError(() => checkVocabSize(kind, size))
    expect(error.code).toBe('invalid-config')
    expect(error.message).toMatch(message)
  })

  it('accepts the edges', () => {
    expect(() => checkVocabSize('bpe', 257)).not.toThrow()
    expect(() => checkVocabSize('bpe', 262_144)).not.toThrow()
    expect(() => checkVocabSize('word', 6)).not.toThrow()
  })
})

describe('trainTokenizer', () => {
  it('refuses an empty corpus', async () => {
    await expect(trainTokenizer(['', ''], { kind: 'bpe', vocabSize: 300 })).rejects.toMatchObject({
      code: 'no-usable-text',
    })
  })

  it('refuses a vocabulary too small for the bytes and specials before doing any work', async () => {
    await expect(trainTokenizer(['text'], { kind: 'bpe', vocabSize: 200 })).rejects.toMatchObject({
      code: 'invalid-config',
    })
  })

  it('with 257 tokens learns no merge: bytes and <|endoftext|> only', async () => {
    const tokenizer = await trainTokenizer(['hello'], { kind: 'bpe', vocabSize: 257 })
    expect(tokenizer.vocabSize).toBe(257)
    expect(tokenizer.encode('hello')).toEqual([...Buffer.from('hello')])
  })

  it('reports training progress for both kinds', async () => {
    for (const kind of ['bpe', 'word'] as const) {
      const events: TokenizeProgress[] = []
      await trainTokenizer([mixedText(5_000)], {
        kind,
        vocabSize: 400,
        onProgress: (e) => events.push(e),
      })
      const last = events[events.length - 1]
      expect(last.phase).toBe('train')
      expect(last.done).toBe(last.total)
    }
  })
})

describe('loadTokenizer', () => {
  it('loads tokenizer.json and vocab.txt from a file or from a folder holding one', async () => {
    const bpe = await trainTokenizer([mixedText(10_000)], { kind: 'bpe', vocabSize: 400 })
    const word = await trainTokenizer([mixedText(10_000)], { kind: 'word', vocabSize: 50 })
    const bpeDir = join(dir, 'bpe-run')
    const wordDir = join(dir, 'word-run')
    await mkdir(bpeDir)
    await mkdir(wordDir)
    await writeFile(join(bpeDir, 'tokenizer.json'), bpe.serialize())
    await writeFile(join(wordDir, 'vocab.txt'), word.serialize())

    for (const [path, original] of [
      [join(bpeDir, 'tokenizer.json'), bpe],
      [bpeDir, bpe],
      [join(wordDir, 'vocab.txt'), word],
      [wordDir, word],
    ] as const) {
      const loaded = await loadTokenizer(path)
      expect(loaded.kind).toBe(original.kind)
      expect(tokenizerHash(loaded)).toBe(tokenizerHash(original))
    }
  })

  it('says what is missing', async () => {
    await expect(loadTokenizer(join(dir, 'nope.json'))).rejects.toThrow(
      /Tokenizer not found: .*nope\.json/,
    )
    const empty = join(dir, 'empty')
    await mkdir(empty)
    await expect(loadTokenizer(empty)).rejects.toThrow(/holds no tokenizer\.json or vocab\.txt/)
  })

  it('tells the formats apart by content', () => {
    expect(
      parseTokenizer('<PAD>\t0\n<UNK>\t0\n<BOS>\t0\n<EOS>\t0\n<MASK>\t0\nhi\t1\n', 'v').kind,
    ).toBe('word')
    expect(() => parseTokenizer('{}', 'x.json')).toThrow(
      /x\.json is not a usable BPE tokenizer\.json/,
    )
  })
})
