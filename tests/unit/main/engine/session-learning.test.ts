/**
 * The model really learns: on the sample corpus with the default config (vocab 500 BPE, embed 64,
 * 2 layers, 4 heads, batch 4, seq 32, lr 0.001), a few hundred steps take the validation loss from
 * about ln(vocab) to clearly below the unigram entropy of the validation tokens — the best any
 * model that ignores context can do — and the sample is shaped like the corpus.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../../../src/main/engine/session'
import { loadCheckpoint } from '../../../../src/main/engine/checkpoints'
import { loadCorpus, type LoadedCorpus } from '../../../../src/main/engine/corpus'
import { prepareDataset } from '../../../../src/main/engine/dataset'
import { parseTokenizer } from '../../../../src/main/engine/tokenizer'
import { createTrainer } from '../../../../src/main/engine/spheres/pool'
import type { ModelConfig } from '../../../../src/main/engine/model/trainer'
import { generateText } from '../../../../src/main/engine/session/generate'
import { GenerateOptions, type RunFinished, type RunStarted } from '../../../../src/shared/training'
import { payloads, record } from './session/fixtures'

const SAMPLE_CORPUS = resolve('resources/sample-corpus')
const STEPS = 400
const SAMPLE = { maxTokens: 200, temperature: 0.8, topK: 40, seed: 1 }

let dir: string
let corpus: LoadedCorpus
let finished: RunFinished
let started: RunStarted

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-learning-'))
  corpus = await loadCorpus({ folder: SAMPLE_CORPUS })
  const session = await createSession({
    folder: SAMPLE_CORPUS,
    corpus,
    config: { training: { maxSteps: STEPS, evalInterval: 100 }, paths: { checkpointDir: dir } },
    sample: SAMPLE,
  })
  const events = record(session)
  finished = await session.run()
  started = payloads(events, 'training.started')[0]
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Entropy (nats) of the token frequencies in stream[start, end). */
function unigramEntropy(tokens: ArrayLike<number>, start: number, end: number): number {
  const counts = new Map<number, number>()
  for (let i = start; i < end; i++) counts.set(tokens[i], (counts.get(tokens[i]) ?? 0) + 1)
  let entropy = 0
  for (const count of counts.values()) {
    const p = count / (end - start)
    entropy -= p * Math.log(p)
  }
  return entropy
}

/** Share of the text's character trigrams that occur somewhere in the corpus. */
function corpusTrigramShare(text: string, trigrams: Set<string>): number {
  let known = 0
  let total = 0
  for (let i = 0; i + 3 <= text.length; i++, total++) if (trigrams.has(text.slice(i, i + 3))) known++
  return total === 0 ? 0 : known / total
}

describe('learning on the sample corpus with the default config', () => {
  it('takes the validation loss from about ln(vocab) to clearly below the unigram entropy', async () => {
    expect(finished).toMatchObject({ state: 'done', reason: 'completed', step: STEPS })
    expect(started.config.model).toEqual({ vocabSize: 500, embedDim: 64, numLayers: 2, numHeads: 4, seqLen: 32 })
    expect(started.initialValLoss!).toBeCloseTo(Math.log(500), 0)

    const checkpoint = await loadCheckpoint(finished.checkpoint!)
    const tokenizer = parseTokenizer(checkpoint.metadata.tokenizer, finished.checkpoint!)
    const dataset = await prepareDataset({
      documents: corpus.documents,
      tokenizer,
      runDir: started.runDir,
      seqLen: 32,
      validationFraction: started.config.training.valFraction,
      seed: started.config.training.seed,
    })
    const { validation } = dataset.split
    expect(validation.end - validation.start).toBe(started.valTokens)
    const entropy = unigramEntropy(dataset.tokens, validation.start, validation.end)
    expect(finished.valLoss!).toBeLessThan(entropy - 0.3)
  })

  it('generates text shaped like the corpus, unlike the untrained model', async () => {
    // Measured on character trigrams: an untrained model strings BPE pieces together at random
    // (about half of its trigrams occur in the corpus); a trained one joins them as the corpus does.
    const trigrams = new Set<string>()
    for (const { text } of corpus.documents) for (let i = 0; i + 3 <= text.length; i++) trigrams.add(text.slice(i, i + 3))
    const sample = finished.sample!
    expect((sample.match(/[A-Za-z]+/g) ?? []).length).toBeGreaterThan(10)
    const trained = corpusTrigramShare(sample, trigrams)

    const checkpoint = await loadCheckpoint(finished.checkpoint!)
    const tokenizer = parseTokenizer(checkpoint.metadata.tokenizer, finished.checkpoint!)
    const untrainedModel = await createTrainer({
      model: checkpoint.metadata.config.model as ModelConfig,
      adamw: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClip: 0 },
      batchSize: 1,
      threads: 1,
      seed: started.config.training.seed,
    })
    const options = GenerateOptions.parse(SAMPLE)
    const untrained = corpusTrigramShare((await generateText(untrainedModel, tokenizer, options)).text, trigrams)
    await untrainedModel.close()

    expect(trained).toBeGreaterThan(0.65)
    expect(trained).toBeGreaterThan(untrained + 0.15)
  })
})
