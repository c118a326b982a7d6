import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluate } from '../../../../src/cli/commands/evaluate'
import { loadCheckpoint } from '../../../../src/main/engine/checkpoints'
import { parseTokenizer } from '../../../../src/main/engine/tokenizer'
import { UserError } from '../../../../src/shared/errors'
import { sentences, workspace, type Workspace } from '../../main/engine/session/fixtures'
import { capture, tinyCheckpoint } from './cli-fixtures'

let ws: Workspace
let checkpoint: string
let untrained: string
beforeAll(async () => {
  ws = await workspace(3, 200)
  checkpoint = await tinyCheckpoint(ws.corpus, ws.checkpoints, 60)
  untrained = await tinyCheckpoint(ws.corpus, join(ws.root, 'untrained'), 1)
})
afterAll(async () => {
  await ws.cleanup()
})

describe('cllm evaluate', () => {
  it('prints {"loss", "perplexity", "tokens"} for a text file, scoring every token but the first', async () => {
    const file = join(ws.root, 'held-out.txt')
    await writeFile(file, sentences(77, 20))
    const io = capture()
    await evaluate({ checkpoint, textFile: file, json: true, threads: 2 }, io)
    const result = JSON.parse(io.stdout())
    expect(Object.keys(result).sort()).toEqual(['loss', 'perplexity', 'tokens'])
    const tokenizer = parseTokenizer((await loadCheckpoint(checkpoint)).metadata.tokenizer, checkpoint)
    expect(result.tokens).toBe(tokenizer.encode(await readFile(file, 'utf8')).length - 1)
    expect(result.perplexity).toBeCloseTo(Math.exp(result.loss), 8)

    // A trained model predicts text like its corpus better than an untrained one (≈ ln vocab).
    const before = await evaluate({ checkpoint: untrained, textFile: file, threads: 1 }, capture())
    expect(before.loss).toBeGreaterThan(result.loss + 0.3)
    expect(before.loss).toBeCloseTo(Math.log(tokenizer.vocabSize), 0)
  })

  it('scores a folder file by file, as text', async () => {
    const io = capture()
    const result = await evaluate({ checkpoint, folder: ws.corpus }, io)
    expect(io.stdout()).toMatch(/^Loss \d+\.\d{4} \(mean cross-entropy, nats per token\), perplexity \d+\.\d{2}, over [\d,]+ tokens\n$/)
    expect(result.tokens).toBeGreaterThan(1000)
  })

  it('takes one of --text-file and --folder, or neither for the run\'s validation split', async () => {
    const io = capture()
    const neither = await evaluate({ checkpoint, threads: 1 }, io)
    expect(io.stdout()).toMatch(/over [\d,]+ tokens of the run's validation split\n$/)
    expect(neither.tokens).toBeGreaterThan(0)
    const both = await evaluate({ checkpoint, folder: ws.corpus, textFile: 'x' }, capture()).catch((e: Error) => e)
    expect(both).toBeInstanceOf(UserError)
    const missing = await evaluate({ checkpoint, textFile: join(ws.root, 'nope.txt') }, capture()).catch((e: Error) => e)
    expect((missing as Error).message).toMatch(/does not exist/)
  })

  it('refuses a binary --text-file, as train skips one, instead of scoring its bytes', async () => {
    const binary = join(ws.root, 'image.bin')
    await writeFile(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, ...Array(200).fill(7)]))
    const error = await evaluate({ checkpoint, textFile: binary }, capture()).catch((e: Error) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(`Text file ${binary} is a binary file (not UTF-8 text): evaluate scores text only, and train skips such files too.`)
  })
})
