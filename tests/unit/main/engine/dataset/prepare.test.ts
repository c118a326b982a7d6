import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareDataset, type PrepareOptions } from '../../../../../src/main/engine/dataset'
import { trainTokenizer } from '../../../../../src/main/engine/tokenizer'
import type { TokenizeProgress } from '../../../../../src/shared/tokenizer'
import { mixedText } from '../tokenizer/mixed-text'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-dataset-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const documents = Array.from({ length: 30 }, (_, i) => ({
  path: `src/file-${String(i).padStart(2, '0')}.ts`,
  text: mixedText(2_000 + i * 100, i),
}))
let runs = 0
const options = (overrides: Partial<PrepareOptions> = {}): PrepareOptions => ({
  documents,
  tokenizer: { kind: 'bpe', vocabSize: 600 },
  runDir: join(root, `run-${runs++}`),
  seqLen: 32,
  ...overrides,
})
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

describe('prepareDataset', () => {
  it('trains the tokenizer, encodes training then validation documents, and saves everything (whole files)', async () => {
    const events: TokenizeProgress[] = []
    const prepared = await prepareDataset(
      options({ onProgress: (e) => events.push(e), threads: 2, splitMethod: 'files' }),
    )
    expect(prepared.reused).toBe(false)
    expect(events.some((e) => e.phase === 'train')).toBe(true)
    expect(events.some((e) => e.phase === 'encode')).toBe(true)
    for (const file of Object.values(prepared.files)) expect(await exists(file)).toBe(true)
    expect(prepared.files.tokenizer).toMatch(/tokenizer\.json$/)

    const { manifest, tokens, tokenizer, split, summary } = prepared
    expect(tokens.buffer).toBeInstanceOf(SharedArrayBuffer)
    const validation = manifest.documents.filter((d) => d.split === 'validation')
    expect(validation.length).toBeGreaterThan(0)
    // Training documents come first, each group in corpus order.
    expect(manifest.documents.map((d) => d.split)).toEqual([
      ...Array(30 - validation.length).fill('train'),
      ...Array(validation.length).fill('validation'),
    ])
    const expected = manifest.documents.flatMap((d) => [
      ...tokenizer.encode(documents.find((doc) => doc.path === d.path)!.text),
      tokenizer.endOfText,
    ])
    expect([...tokens]).toEqual(expected)
    expect(split.validation.start).toBe(validation[0].start)
    expect(split.train).toEqual({ start: 0, end: validation[0].start })
    expect(summary).toEqual({
      tokenizer: 'bpe',
      vocabSize: 600,
      totalTokens: tokens.length,
      trainTokens: validation[0].start,
      valTokens: tokens.length - validation[0].start,
      bytesPerToken: manifest.corpus.bytes / (tokens.length - 30),
      documents: 30,
      split: {
        method: 'files',
        train: { files: 30 - validation.length, bytes: manifest.corpus.bytes - validation.reduce((n, d) => n + d.bytes, 0), tokens: validation[0].start },
        validation: { files: validation.length, bytes: validation.reduce((n, d) => n + d.bytes, 0), tokens: tokens.length - validation[0].start },
      },
    })
    expect(manifest.split).toMatchObject({ method: 'files', train: summary.split.train, validation: summary.split.validation })
    expect(summary.valTokens / summary.totalTokens).toBeGreaterThan(0.05)
    expect(summary.valTokens / summary.totalTokens).toBeLessThan(0.15)
  })

  it('still reads a dataset.json written before the split had a method, as the whole-file split it was', async () => {
    const runDir = join(root, 'before-blocks')
    const first = await prepareDataset(options({ runDir, splitMethod: 'files' }))
    const manifestFile = join(runDir, 'dataset.json')
    const old = JSON.parse(await readFile(manifestFile, 'utf8'))
    delete old.split.method
    delete old.split.train
    delete old.split.validation
    await writeFile(manifestFile, JSON.stringify(old))
    const again = await prepareDataset(options({ runDir, splitMethod: 'files' }))
    expect(again.reused).toBe(true)
    expect(again.summary).toEqual(first.summary)
    // Another folder reusing it (as a resumed run does its parent's) gets the same stream.
    const child = await prepareDataset(options({ runDir: join(root, 'before-blocks-child'), splitMethod: 'files', reuseFrom: [runDir] }))
    expect(child.reused).toBe(true)
    expect(child.manifest.tokens.sha256).toBe(first.manifest.tokens.sha256)
    // The blocks split is another dataset: it is built, not mistaken for the old one.
    const blocks = await prepareDataset(options({ runDir: join(root, 'before-blocks-2'), reuseFrom: [runDir] }))
    expect(blocks.reused).toBe(false)
    expect(blocks.summary.split.method).toBe('blocks')
    expect(await readFile(manifestFile, 'utf8')).toBe(JSON.stringify(old))
  })

  it('reuses the saved dataset for the same corpus and settings: no training, no encoding', async () => {
    const runDir = join(root, 'reuse')
    const first = await prepareDataset(options({ runDir }))
    const before = await stat(first.files.tokens)
    const events: TokenizeProgress[] = []
    const second = await prepareDataset(options({ runDir, onProgress: (e) => events.push(e) }))
    expect(second.reused).toBe(true)
    expect(events).toEqual([])
    expect(second.tokens).toEqual(first.tokens)
    expect(second.manifest).toEqual(first.manifest)
    expect((await stat(first.files.tokens)).mtimeMs).toBe(before.mtimeMs)
    expect(second.tokenizer.serialize()).toBe(first.tokenizer.serialize())
  })

  it('builds again when the corpus, the seed or the tokenizer request changes', async () => {
    const runDir = join(root, 'changes')
    const first = await prepareDataset(options({ runDir }))
    const edited = documents.map((d, i) => (i === 3 ? { ...d, text: d.text + ' edited' } : d))
    const afterEdit = await prepareDataset(options({ runDir, documents: edited }))
    expect(afterEdit.reused).toBe(false)
    expect(afterEdit.manifest.fingerprint).not.toBe(first.manifest.fingerprint)
    expect((await prepareDataset(options({ runDir, documents: edited, seed: 5 }))).reused).toBe(
      false,
    )
    expect((await prepareDataset(options({ runDir, documents: edited, seed: 5 }))).reused).toBe(
      true,
    )
    expect(
      (
        await prepareDataset(
          options({
            runDir,
            documents: edited,
            seed: 5,
            tokenizer: { kind: 'bpe', vocabSize: 700 },
          }),
        )
      ).reused,
    ).toBe(false)
  })

  it('encodes again when tokens.bin was damaged', async () => {
    const runDir = join(root, 'damaged')
    const first = await prepareDataset(options({ runDir }))
    const bytes = await readFile(first.files.tokens)
    bytes[10] ^= 0xff
    await writeFile(first.files.tokens, bytes)
    const second = await prepareDataset(options({ runDir }))
    expect(second.reused).toBe(false)
    expect(second.tokens).toEqual(first.tokens)
  })

  it('uses a given tokenizer as is, and the word tokenizer writes vocab.txt', async () => {
    const word = await trainTokenizer(
      documents.map((d) => d.text),
      { kind: 'word', vocabSize: 100 },
    )
    const prepared = await prepareDataset(options({ tokenizer: word }))
    expect(prepared.tokenizer).toBe(word)
    expect(prepared.files.tokenizer).toMatch(/vocab\.txt$/)
    expect(await readFile(prepared.files.tokenizer, 'utf8')).toBe(word.serialize())
    expect(prepared.summary.tokenizer).toBe('word')
    expect(prepared.tokens[prepared.tokens.length - 1]).toBe(3) // <EOS>
  })

  it('gives a tiny corpus a validation window cut from its one document', async () => {
    const prepared = await prepareDataset(
      options({ documents: [{ path: 'only.txt', text: mixedText(3_000, 77) }] }),
    )
    expect(prepared.manifest.split.validationDocuments).toBe(0)
    expect(prepared.split.validation.end - prepared.split.validation.start).toBeGreaterThanOrEqual(
      33,
    )
    expect(prepared.split.train.end).toBe(prepared.split.validation.start)
  })

  it('refuses a corpus with fewer tokens than one window, naming --seq-len and the count, and saves no dataset', async () => {
    const runDir = join(root, 'tiny')
    const error = await prepareDataset(
      options({ runDir, documents: [{ path: 'a', text: 'hi there' }], seqLen: 64 }),
    ).catch((e) => e)
    expect(error).toMatchObject({ code: 'invalid-config' })
    expect(error.message).toMatch(/only \d+ tokens.*--seq-len 64/)
    expect(await exists(join(runDir, 'dataset.json'))).toBe(false)
  })

  it('refuses an empty corpus and bad settings', async () => {
    await expect(
      prepareDataset(options({ documents: [{ path: 'a', text: '' }] })),
    ).rejects.toMatchObject({ code: 'no-usable-text' })
    await expect(
      prepareDataset(options({ tokenizer: { kind: 'bpe', vocabSize: 100 } })),
    ).rejects.toThrow(/--vocab-size 100/)
    await expect(prepareDataset(options({ validationFraction: 0.9 }))).rejects.toThrow(
      /--val-fraction 0.9/,
    )
    await expect(prepareDataset(options({ seqLen: 0 }))).rejects.toThrow(/--seq-len 0/)
  })
})
