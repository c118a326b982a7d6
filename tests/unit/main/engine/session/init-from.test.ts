/**
 * Fine-tuning from a model on disk: a run started with `initFrom` (a Hugging Face folder or a
 * checkpoint) keeps the model's shape and tokenizer, starts from its weights (its first validation
 * loss is the trained model's, far below ln(vocab)), uses the fine-tuning defaults, and never
 * writes into the source.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportHuggingFace } from '../../../../../src/main/engine/checkpoints'
import { createSession } from '../../../../../src/main/engine/session'
import { FINE_TUNE_DEFAULTS, fineTuneRunConfig } from '../../../../../src/main/engine/session/init-from'
import { train } from '../../../../../src/cli/commands/train'
import { UserError } from '../../../../../src/shared/errors'
import { capture } from '../../../cli/commands/cli-fixtures'
import { trainedModel } from '../checkpoints/trained-model'
import { payloads, record, type Workspace } from './fixtures'

let ws: Workspace
let checkpoint: string
let hfDir: string
beforeAll(async () => {
  ;({ ws, checkpoint } = await trainedModel(60))
  hfDir = join(ws.root, 'hf')
  await exportHuggingFace(checkpoint, hfDir)
})
afterAll(() => ws?.cleanup())

describe('a run started from a model on disk', () => {
  it.each(['hf', 'checkpoint'] as const)('from a %s: its shape, tokenizer and weights, fine-tuning defaults', async (kind) => {
    const source = kind === 'hf' ? hfDir : checkpoint
    const before = await readdir(kind === 'hf' ? hfDir : join(checkpoint, '..'))
    const session = await createSession({
      folder: ws.corpus,
      initFrom: source,
      sample: false,
      config: { training: { maxSteps: 3, threads: 1, evalInterval: 3 }, paths: { checkpointDir: ws.checkpoints, runName: `ft-${kind}` } },
    })
    const events = record(session)
    const finished = await session.run()
    expect(finished.state).toBe('done')
    const [started] = payloads(events, 'training.started')
    expect(started.initFrom).toBe(source)
    expect(started.config.model).toEqual({ vocabSize: 320, embedDim: 32, numLayers: 2, numHeads: 2, seqLen: 64 })
    expect(started.config.training.learningRate).toBe(FINE_TUNE_DEFAULTS.learningRate)
    // The default warmup, shortened to leave a 3-step run one step at its peak rate.
    expect(started.config.training.warmup).toBe(Math.min(FINE_TUNE_DEFAULTS.warmup, 2))
    // Noise would start at about ln(320) ≈ 5.77 nats; the trained model has memorised the passage.
    expect(started.initialValLoss).toBeLessThan(2)
    const run = JSON.parse(await readFile(join(ws.checkpoints, `ft-${kind}`, 'run.json'), 'utf8'))
    expect(run.initFrom).toBe(source)
    expect(await readdir(kind === 'hf' ? hfDir : join(checkpoint, '..'))).toEqual(before)
  })

  it('refuses a model field that contradicts the model, naming the flag, and init-from with resume', async () => {
    await expect(
      createSession({ folder: ws.corpus, initFrom: hfDir, config: { model: { embedDim: 64 } } }),
    ).rejects.toThrow(/^--embed-dim 64 differs from the model being fine-tuned \(32 in .*hf\)/)
    await expect(createSession({ folder: ws.corpus, initFrom: hfDir, resume: checkpoint })).rejects.toThrow(
      'Resume a run or start from a model (--init-from), not both.',
    )
    const missing = await createSession({ folder: ws.corpus, initFrom: join(ws.root, 'nope') }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(UserError)
    expect((missing as UserError).code).toBe('not-found')
  })

  it('fits GPT-2 124M by default: one window per sphere, on as many spheres as one WebAssembly memory holds', () => {
    const gpt2 = { source: 'gpt2', model: { vocabSize: 50257, seqLen: 1024, dModel: 768, nLayers: 12, nHeads: 12 }, tokenizerKind: 'bpe' as const, tokenizer: '', params: [] }
    const machine = { cores: 16, totalMemoryBytes: 64e9 }
    const config = fineTuneRunConfig(undefined, gpt2, machine)
    expect(config.training).toMatchObject({ threads: 2, batchSize: 2, learningRate: 1e-4 })
    expect(fineTuneRunConfig({ training: { threads: 1 } }, gpt2, machine).training).toMatchObject({ threads: 1, batchSize: 1 })
    // What the caller set is kept, and refused when it cannot fit, naming the batch and threads.
    expect(() => fineTuneRunConfig({ training: { threads: 8, batchSize: 8 } }, gpt2, machine)).toThrow(/batchSize 8 and 8 threads/)
  })

  it('cllm train --init-from prints where the run starts from', async () => {
    const io = capture()
    await train(ws.corpus, { initFrom: hfDir, maxSteps: 2, threads: 1, checkpointDir: ws.checkpoints, runName: 'ft-cli' }, io)
    expect(io.stdout()).toContain(`Starting    from ${hfDir} (its shape, tokenizer and weights)`)
    expect(io.stdout()).toMatch(/learning rate 0\.0001 \(warmup 1,/)
  })
})
