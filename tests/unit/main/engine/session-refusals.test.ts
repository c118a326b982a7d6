/** Bad input refused up front, naming the flag, and nothing left behind (issue 20, item 14). */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { train } from '../../../../src/cli/commands/train'
import { createSession, divergenceAdvice } from '../../../../src/main/engine/session'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-refusals-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const quiet = { out: () => undefined, err: () => undefined }

describe('refused before any run folder exists', () => {
  it('a one-file corpus too small for one window: the sentence names --seq-len, and no run folder is made', async () => {
    const corpus = join(root, 'one-file')
    await mkdir(corpus)
    await writeFile(join(corpus, 'a.txt'), 'Just one little file with some words in it.\nAnd a second line.\n')
    const checkpoints = join(root, 'checkpoints-one')
    const error = await train(corpus, { checkpointDir: checkpoints }, quiet).catch((e: unknown) => e as Error)
    expect((error as Error).message).toMatch(/^The corpus has only \d+ tokens, fewer than one training window of --seq-len 32 \+ 1 = 33 tokens/)
    expect(existsSync(checkpoints) ? await readdir(checkpoints) : []).toEqual([])
    // The same corpus with a window it can hold trains (the check is exact, not a guess by size).
    const out: string[] = []
    const ok = await train(corpus, { checkpointDir: checkpoints, seqLen: 4, maxSteps: 2, threads: 1, tokenizer: 'word', vocabSize: 20 }, { out: (t) => out.push(t), err: () => undefined })
    expect(ok.reason).toBe('completed')
    expect(out.join('')).toMatch(/^Corpus: 1 file, 63 bytes$/m)
  })

  it('an absurd learning rate, naming the flag', async () => {
    const checkpoints = join(root, 'checkpoints-lr')
    for (const rate of [1e9, 1.5]) {
      const error = await train(root, { checkpointDir: checkpoints, learningRate: rate }, quiet).catch((e: unknown) => e as Error)
      expect((error as Error).message).toMatch(/^--learning-rate: must be at most 1: AdamW moves each weight by about the learning rate every step/)
    }
    await expect(createSession({ folder: root, config: { training: { learningRate: 1 } } })).resolves.toBeDefined()
    expect(existsSync(checkpoints)).toBe(false)
  })
})

describe('the advice after a divergence', () => {
  it('never tells the user to set a clip that is already set', () => {
    expect(divergenceAdvice({ learningRate: 0.5, gradClip: 1 })).toBe('lower --learning-rate (now 0.5; gradients are already clipped at --grad-clip 1).')
    expect(divergenceAdvice({ learningRate: 0.5, gradClip: 0 })).toBe('lower --learning-rate (now 0.5) or set --grad-clip (e.g. 1).')
  })
})
