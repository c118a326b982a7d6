import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { prepareCommand, register } from '../../../../src/cli/commands/prepare'
import { DatasetManifest } from '../../../../src/main/engine/dataset'
import { mixedText } from '../../main/engine/tokenizer/mixed-text'

let root: string
let corpus: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-prepare-'))
  corpus = join(root, 'my corpus')
  await mkdir(join(corpus, 'src'), { recursive: true })
  for (let i = 0; i < 12; i++)
    await writeFile(join(corpus, 'src', `file${i}.ts`), mixedText(2_500, i))
  await writeFile(join(corpus, 'README.md'), mixedText(4_000, 99))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function run(...args: string[]): Promise<string> {
  const program = new Command().exitOverride()
  register(program)
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  try {
    await program.parseAsync(['prepare', ...args], { from: 'user' })
    return write.mock.calls.map(([chunk]) => String(chunk)).join('')
  } finally {
    write.mockRestore()
  }
}
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

describe('cllm prepare', () => {
  it('prints the vocabulary and dataset lines and saves the run folder; a second run reuses it', async () => {
    // The checkpoint folder sits inside the corpus: it must not be read as training text.
    const checkpoints = join(corpus, 'checkpoints')
    const args = [
      corpus,
      '--vocab-size',
      '400',
      '--seq-len',
      '16',
      '--checkpoint-dir',
      checkpoints,
      '--threads',
      '2',
    ]
    const out = await run(...args)
    expect(out).toMatch(/^Corpus: 13 files, /m)
    expect(out).toMatch(/^Vocabulary built: 400 tokens \(bpe\)$/m)
    const [, total, train, validation] = out
      .match(/^Dataset created: (\d+) tokens \(train (\d+), validation (\d+)\)$/m)!
      .map(Number)
    expect(train + validation).toBe(total)
    expect(validation).toBeGreaterThan(0)
    expect(out).toMatch(/^Compression: \d+\.\d\d bytes per token$/m)
    expect(out).toMatch(/^Split by blocks of ~4 KiB: training \d+ files?, [\d.]+ \w+ \(\d+\.\d %\); validation \d+ files?, [\d.]+ \w+ \(\d+\.\d %\)$/m)
    const runDir = join(checkpoints, 'my-corpus')
    expect(out).toMatch(
      /^Saved to .*my-corpus:\n {2}tokenizer\.json\n {2}tokens\.bin\n {2}dataset\.json$/m,
    )
    for (const file of ['tokenizer.json', 'tokens.bin', 'dataset.json'])
      expect(await exists(join(runDir, file))).toBe(true)
    const manifest = DatasetManifest.parse(
      JSON.parse(await readFile(join(runDir, 'dataset.json'), 'utf8')),
    )
    expect(manifest.tokens.count).toBe(total)
    expect(manifest.documents.every((d) => !d.path.startsWith('checkpoints'))).toBe(true)

    const again = await run(...args)
    expect(again).toMatch(/^Reused the dataset already saved in /m)
    expect(again.match(/^Dataset created: .*$/m)![0]).toBe(out.match(/^Dataset created: .*$/m)![0])
    await rm(checkpoints, { recursive: true })
  })

  it('builds the word vocabulary with --tokenizer word and writes vocab.txt', async () => {
    const lines: string[] = []
    const result = await prepareCommand(
      corpus,
      {
        tokenizer: 'word',
        vocabSize: '50',
        seqLen: '8',
        checkpointDir: join(root, 'ckpt'),
        runName: 'words',
        threads: '1',
      },
      (line) => lines.push(line),
    )
    expect(lines).toContain('Vocabulary built: 50 tokens (word)')
    expect(result.files.tokenizer).toBe(join(root, 'ckpt', 'words', 'vocab.txt'))
    expect((await readFile(result.files.tokenizer, 'utf8')).split('\n')[0]).toBe('<PAD>\t0')
  })

  it('prints JSON with --json', async () => {
    const out = await run(
      corpus,
      '--vocab-size',
      '300',
      '--seq-len',
      '8',
      '--checkpoint-dir',
      join(root, 'json'),
      '--json',
    )
    const result = JSON.parse(out)
    expect(result.summary).toMatchObject({ tokenizer: 'bpe', vocabSize: 300, documents: 13 })
    expect(result.runDir).toBe(join(root, 'json', 'my-corpus'))
  })

  it('refuses bad settings before reading the corpus, and a corpus smaller than one window', async () => {
    const checkpointDir = join(root, 'bad')
    await expect(
      run(corpus, '--vocab-size', '100', '--checkpoint-dir', checkpointDir),
    ).rejects.toThrow(/--vocab-size 100 .*use 257 to 262144/)
    await expect(
      run(corpus, '--tokenizer', 'char', '--checkpoint-dir', checkpointDir),
    ).rejects.toThrow(/--tokenizer char/)
    await expect(
      run(corpus, '--seq-len', 'ten', '--checkpoint-dir', checkpointDir),
    ).rejects.toThrow(/--seq-len ten/)
    await expect(
      run(corpus, '--val-fraction', '0.7', '--checkpoint-dir', checkpointDir),
    ).rejects.toThrow(/--val-fraction 0.7/)
    const tiny = join(root, 'tiny')
    await mkdir(tiny)
    await writeFile(join(tiny, 'a.txt'), 'just a few words')
    await expect(
      run(tiny, '--vocab-size', '300', '--seq-len', '256', '--checkpoint-dir', checkpointDir),
    ).rejects.toThrow(/only \d+ tokens, fewer than one training window of --seq-len 256/)
  })
})
