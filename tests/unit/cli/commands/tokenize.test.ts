import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { register, tokenizeCommand } from '../../../../src/cli/commands/tokenize'
import { saveCheckpoint } from '../../../../src/main/engine/checkpoints'
import { trainTokenizer, type Tokenizer } from '../../../../src/main/engine/tokenizer'
import { makeCheckpoint, TINY } from '../../main/engine/checkpoints/fixtures'
import { mixedText } from '../../main/engine/tokenizer/mixed-text'

let dir: string
let bpe: Tokenizer
let word: Tokenizer
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-tokenize-'))
  bpe = await trainTokenizer([mixedText(20_000)], { kind: 'bpe', vocabSize: TINY.vocabSize })
  word = await trainTokenizer([mixedText(20_000)], { kind: 'word', vocabSize: 40 })
  await writeFile(join(dir, 'tokenizer.json'), bpe.serialize())
  await mkdir(join(dir, 'word-run'))
  await writeFile(join(dir, 'word-run', 'vocab.txt'), word.serialize())
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function run(...args: string[]): Promise<string> {
  const program = new Command().exitOverride()
  register(program)
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  try {
    await program.parseAsync(['tokenize', ...args], { from: 'user' })
    return write.mock.calls.map(([chunk]) => String(chunk)).join('')
  } finally {
    write.mockRestore()
  }
}

describe('cllm tokenize', () => {
  it('prints the ids and the pieces', async () => {
    const text = 'Hello, world! 日本'
    const out = await run('--tokenizer', join(dir, 'tokenizer.json'), '--text', text)
    const ids = bpe.encode(text)
    expect(out).toContain(`${ids.length} tokens (bpe tokenizer, vocabulary ${TINY.vocabSize}`)
    expect(out).toContain(`ids:    [${ids.join(', ')}]`)
    const pieces = JSON.parse(out.split('pieces: ')[1]) as string[]
    expect(pieces.join('')).toBe(text)
  })

  it('prints JSON with --json', async () => {
    const out = await run(
      '--tokenizer',
      join(dir, 'tokenizer.json'),
      '--text',
      'a\tb\r\n',
      '--json',
    )
    const result = JSON.parse(out)
    expect(result.ids).toEqual(bpe.encode('a\tb\r\n'))
    expect(result.pieces.join('')).toBe('a\tb\r\n')
    expect(result.tokenizer).toMatchObject({ kind: 'bpe', vocabSize: TINY.vocabSize })
  })

  it('finds vocab.txt in a run folder', async () => {
    const lines: string[] = []
    const result = await tokenizeCommand(
      { tokenizer: join(dir, 'word-run'), text: 'The the UNSEENWORD' },
      (l) => lines.push(l),
    )
    expect(result.ids).toEqual(word.encode('the the unseenword'))
    expect(result.ids[2]).toBe(1)
    expect(lines[0]).toMatch(/^3 tokens \(word tokenizer, vocabulary 40/)
  })

  it('reads the tokenizer out of a checkpoint', async () => {
    const checkpoint = makeCheckpoint(TINY)
    checkpoint.metadata.tokenizer = bpe.serialize()
    const path = join(dir, 'checkpoint_step_7.safetensors')
    await saveCheckpoint(path, checkpoint)
    const result = await tokenizeCommand(
      { tokenizer: path, text: 'some text', json: true },
      () => {},
    )
    expect(result.ids).toEqual(bpe.encode('some text'))
  })

  it('refuses empty text and a missing tokenizer with a clear message', async () => {
    await expect(run('--tokenizer', join(dir, 'tokenizer.json'), '--text', '')).rejects.toThrow(
      /--text is empty/,
    )
    await expect(run('--tokenizer', join(dir, 'missing.json'), '--text', 'x')).rejects.toThrow(
      /Tokenizer not found: .*missing\.json/,
    )
  })
})
