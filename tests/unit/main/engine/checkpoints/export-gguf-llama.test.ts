/**
 * llama.cpp itself is the oracle for the GGUF export: a model trained here for a few steps is
 * exported and loaded by llama.cpp (node-llama-cpp's prebuilt CPU binary, no build, no download),
 * and llama.cpp must tokenize like us, continue a prompt greedily like us, and give the same
 * next-token distribution within a stated tolerance.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportGguf } from '../../../../../src/main/engine/checkpoints/export-gguf'
import { openCheckpointModel, type OpenModel } from '../../../../../src/main/engine/session/from-checkpoint'
import type { Workspace } from '../session/fixtures'
import { TRAINED_SEQ_LEN, trainedModel } from './trained-model'
import { llamaCppGreedy, ourGreedy, worstDifference } from './llama-cpp-oracle'

/**
 * How far llama.cpp's next-token distribution may be from ours, at every position of a text and over
 * the whole vocabulary: |Δ log p| (nats) and |Δ p|. F32: both compute in f32 in another order, and
 * ggml's CPU GELU goes through a half-precision table (measured ~4e-3 nats, ~5e-4 in p). F16 adds
 * the weights' rounding (~7e-3 nats). Q8_0's 8-bit weights move the log of very unlikely tokens
 * by ~0.2 nats, so only |Δ p| is bounded there (measured ~1.5e-2).
 */
const TOLERANCE = {
  f32: { logProb: 1e-2, prob: 2e-3 },
  f16: { logProb: 3e-2, prob: 3e-3 },
  q8_0: { logProb: Infinity, prob: 5e-2 },
}
const CONTINUATION_TOKENS = 32

const TEXTS = [
  'The cat sat on a mat and the dog ran to the park.',
  'function add(a, b) {\n\treturn a + b; // sum\n}\n\nconst x = add(1, 22);',
  "It's a dog's life, isn't it? They'll say we'd've won. I'm sure you're right.",
  'Unicode: naïve café, Ελληνικά, русский, 日本語のテキスト, emoji 🐈‍⬛ and 𝔘𝔫𝔦',
  'spaces   between\t\twords \n\n\n   trailing   \r\n and 1234567 numbers 3.14',
  '<|endoftext|> typed in a file is ordinary text',
]

let ws: Workspace
let ours: OpenModel
let llama: Llama
let model: LlamaModel
let context: LlamaContext
let ggufPath: string
let checkpoint: string

beforeAll(async () => {
  ;({ ws, checkpoint } = await trainedModel())
  ggufPath = join(ws.root, 'model-f32.gguf')
  await exportGguf(checkpoint, ggufPath, { precision: 'f32' })
  ours = await openCheckpointModel(checkpoint)
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
  model = await llama.loadModel({ modelPath: ggufPath })
  context = await model.createContext({ contextSize: TRAINED_SEQ_LEN, threads: 1 })
})

afterAll(async () => {
  await context?.dispose()
  await model?.dispose()
  await llama?.dispose()
  await ours?.close()
  await ws?.cleanup()
})


describe('GGUF export, checked by llama.cpp', () => {
  it('llama.cpp reads the file as GPT-2 with our vocabulary and special token', () => {
    expect(model.fileInfo.metadata.general.architecture).toBe('gpt2')
    expect(model.tokens.bos).toBe(ours.tokenizer.endOfText)
    expect(model.tokens.eos).toBe(ours.tokenizer.endOfText)
    expect(model.fileInsights.trainContextSize).toBe(TRAINED_SEQ_LEN)
  })

  it('tokenizes code, prose, unicode and whitespace runs exactly as we do', () => {
    for (const text of TEXTS) {
      const theirs = model.tokenize(text, false)
      expect(Array.from(theirs), JSON.stringify(text)).toEqual(ours.tokenizer.encode(text))
      expect(model.detokenize(theirs)).toBe(ours.tokenizer.decode(ours.tokenizer.encode(text)))
    }
  })

  it(`continues a prompt greedily for ${CONTINUATION_TOKENS} tokens exactly as cllm generate --temperature 0`, async () => {
    const prompt = 'The old lighthouse keeper'
    const expected = await ourGreedy(ours, prompt, CONTINUATION_TOKENS)
    const got = await llamaCppGreedy(context, model.tokenize(prompt, false), CONTINUATION_TOKENS)
    expect(expected.tokens.length).toBe(CONTINUATION_TOKENS)
    expect(got).toEqual(expected.tokens)
    expect(model.detokenize(got)).toBe(expected.text)
    // A model that learned something: not one token repeated (which any two programs would agree on).
    expect(new Set(got).size).toBeGreaterThan(3)
  })

  it(`gives the same next-token distribution within ${TOLERANCE.f32.logProb} nats at every position (F32)`, async () => {
    const worst = await worstDifference(ours, context)
    expect(worst.logProb).toBeLessThan(TOLERANCE.f32.logProb)
    expect(worst.prob).toBeLessThan(TOLERANCE.f32.prob)
  })

  it.each(['f16', 'q8_0'] as const)('exports %s that llama.cpp runs within its stated tolerance', async (precision) => {
    const path = join(ws.root, `model-${precision}.gguf`)
    const result = await exportGguf(checkpoint, path, { precision })
    expect(result.bytes).toBeLessThan((await stat(ggufPath)).size)
    const smaller = await llama.loadModel({ modelPath: path })
    const smallerContext = await smaller.createContext({ contextSize: TRAINED_SEQ_LEN, threads: 1 })
    try {
      const worst = await worstDifference(ours, smallerContext)
      expect(worst.logProb).toBeLessThan(TOLERANCE[precision].logProb)
      expect(worst.prob).toBeLessThan(TOLERANCE[precision].prob)
    } finally {
      await smallerContext.dispose()
      await smaller.dispose()
    }
  })
})

