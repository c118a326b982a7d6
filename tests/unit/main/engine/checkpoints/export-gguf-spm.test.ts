/**
 * llama.cpp is the oracle for the GGUF export of a run whose tokenizer is SentencePiece-style BPE
 * with byte fallback (TinyLlama's, Llama 2's shape): a tiny Llama trained here in that tokenizer's
 * ids (spm-run.ts) is exported with GGUF's `llama` tokenizer (tokens, scores, token types, `<s>` put
 * first, ▁ put before the text) and loaded by llama.cpp (node-llama-cpp's prebuilt CPU binary, no
 * build, no download). llama.cpp must tokenize like us, BOS included, continue a prompt greedily like
 * us and give the same next-token distribution within export-gguf-llama-family.test.ts's bounds, at
 * F32, F16 and Q8_0. A Metaspace tokenizer that puts no ▁ (`never`) is written with
 * add_space_prefix false; one that puts ▁ only before a text not starting with a space (`first`,
 * `always`) is something llama.cpp cannot be told, and is refused.
 */
import { mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportGguf } from '../../../../../src/main/engine/checkpoints/export-gguf'
import { openCheckpointModel, type OpenModel } from '../../../../../src/main/engine/session/from-checkpoint'
import { parseTokenizer } from '../../../../../src/main/engine/tokenizer'
import type { Workspace } from '../session/fixtures'
import { SPM_VOCAB_SIZE, spmTokenizerText, trainedSpmLlama, withTokenizer } from './spm-run'
import { TRAINED_SEQ_LEN } from './trained-model'
import { llamaCppGreedy, ourGreedy, worstDifference } from './llama-cpp-oracle'

/**
 * export-gguf-llama-family.test.ts's bounds (see there for what each is), the same in log-prob.
 * Measured on this run: exact 1.4e-5 nats and 8.8e-6 in p; F32 weights in the default (flash
 * attention, F16 q/k/v) context 7.9e-3 nats and 1.8e-3 in p; F16 weights 1.7e-2 nats and 4.0e-3 in p,
 * so |Δ p| for F16 is bounded as for F32 in that context (5e-3, not the family test's 3e-3: this
 * model is more peaked); Q8_0 2.5e-2 in p.
 */
const TOLERANCE = {
  exact: { logProb: 1e-4, prob: 1e-4 },
  f32: { logProb: 2e-2, prob: 5e-3 },
  f16: { logProb: 3e-2, prob: 5e-3 },
  q8_0: { logProb: Infinity, prob: 5e-2 },
}
const CONTINUATION_TOKENS = 32

const TEXTS = [
  'The cat sat on a mat and the dog ran to the park.',
  'function add(a, b) {\n\treturn a + b; // sum\n}\n\nconst x = add(1, 22);',
  'Unicode: naïve café, Ελληνικά, русский, 日本語のテキスト, emoji 🐈‍⬛ and 𝔘𝔫𝔦',
  'spaces   between\t\twords \n\n\n   trailing   \r\n and 1234567 numbers 3.14',
  '  a text that starts with spaces',
  '<s> and </s> typed in a file are ordinary text',
]

let llama: Llama
let ws: Workspace
let checkpoint: string
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
  ;({ ws, checkpoint } = await trainedSpmLlama())
})
afterAll(async () => {
  await llama?.dispose()
  await ws?.cleanup()
})

/** llama.cpp's ids for a text as a document: BOS when the file says to put it first, then the text. */
function theirDocument(model: LlamaModel, text: string): Token[] {
  return [...(model.tokens.shouldPrependBosToken ? [model.tokens.bos!] : []), ...model.tokenize(text, false)]
}



describe('GGUF export of a Llama run with a SentencePiece tokenizer, checked by llama.cpp', () => {
  let ours: OpenModel
  let model: LlamaModel
  let context: LlamaContext
  let ggufPath: string

  beforeAll(async () => {
    ggufPath = join(ws.root, 'spm-f32.gguf')
    const result = await exportGguf(checkpoint, ggufPath, { precision: 'f32' })
    expect(result).toMatchObject({ architecture: 'llama', tokenizerModel: 'llama', preTokenizer: 'default' })
    ours = await openCheckpointModel(checkpoint)
    model = await llama.loadModel({ modelPath: ggufPath })
    context = await model.createContext({ contextSize: TRAINED_SEQ_LEN, threads: 1 })
  })

  afterAll(async () => {
    await context?.dispose()
    await model?.dispose()
    await ours?.close()
  })

  it('llama.cpp reads the SentencePiece vocabulary, scores and special tokens we wrote', () => {
    expect(ours.tokenizer.vocabSize).toBe(SPM_VOCAB_SIZE)
    const ggml = (model.fileInfo.metadata as unknown as { tokenizer: { ggml: Record<string, unknown> } }).tokenizer.ggml
    expect(ggml).toMatchObject({
      model: 'llama',
      pre: 'default',
      bos_token_id: 1,
      eos_token_id: 2,
      unknown_token_id: 0,
      add_bos_token: true,
      add_space_prefix: true,
    })
    expect(ggml.merges).toBeUndefined()
    expect((ggml.tokens as string[]).slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>'])
    expect((ggml.scores as number[]).length).toBe(SPM_VOCAB_SIZE)
    expect([model.tokens.bos, model.tokens.eos]).toEqual([ours.tokenizer.beginOfText, ours.tokenizer.endOfText])
    expect(model.tokens.shouldPrependBosToken).toBe(true)
  })

  it('tokenizes code, prose, unicode (by byte fallback) and whitespace runs exactly as we do, <s> first', () => {
    for (const text of TEXTS) {
      const expected = ours.tokenizer.encode(text, 'document')
      expect(expected[0]).toBe(ours.tokenizer.beginOfText)
      expect(theirDocument(model, text), JSON.stringify(text)).toEqual(expected)
      const theirs = model.tokenize(text, false)
      expect(model.detokenize(theirs), JSON.stringify(text)).toBe(ours.tokenizer.decode(ours.tokenizer.encode(text)))
    }
  })

  it(`continues a prompt greedily for ${CONTINUATION_TOKENS} tokens exactly as cllm generate --temperature 0`, async () => {
    const prompt = 'The old lighthouse keeper'
    const expected = await ourGreedy(ours, prompt, CONTINUATION_TOKENS)
    const start = theirDocument(model, prompt)
    const got = await llamaCppGreedy(context, start, CONTINUATION_TOKENS)
    expect(expected.tokens.length).toBe(CONTINUATION_TOKENS)
    expect(got).toEqual(expected.tokens)
    expect(model.detokenize(got, false, start)).toBe(expected.text)
    // A model that learned something: not one token repeated (which any two programs would agree on).
    expect(new Set(got).size).toBeGreaterThan(3)
  })

  it(`gives the same next-token distribution within ${TOLERANCE.exact.logProb} nats at every position with attention in F32`, async () => {
    const exact = await model.createContext({
      contextSize: TRAINED_SEQ_LEN,
      threads: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
    })
    try {
      const worst = await worstDifference(ours, exact, 'document')
      expect(worst.logProb).toBeLessThan(TOLERANCE.exact.logProb)
      expect(worst.prob).toBeLessThan(TOLERANCE.exact.prob)
    } finally {
      await exact.dispose()
    }
  })

  it(`gives the same next-token distribution within ${TOLERANCE.f32.logProb} nats in llama.cpp's default context (F32 weights)`, async () => {
    const worst = await worstDifference(ours, context, 'document')
    expect(worst.logProb).toBeLessThan(TOLERANCE.f32.logProb)
    expect(worst.prob).toBeLessThan(TOLERANCE.f32.prob)
  })

  it.each(['f16', 'q8_0'] as const)('exports %s that llama.cpp runs within its stated tolerance', async (precision) => {
    const path = join(ws.root, `spm-${precision}.gguf`)
    const result = await exportGguf(checkpoint, path, { precision })
    expect(result.bytes).toBeLessThan((await stat(ggufPath)).size)
    const smaller = await llama.loadModel({ modelPath: path })
    const smallerContext = await smaller.createContext({ contextSize: TRAINED_SEQ_LEN, threads: 1 })
    try {
      expect(theirDocument(smaller, TEXTS[0])).toEqual(ours.tokenizer.encode(TEXTS[0], 'document'))
      const worst = await worstDifference(ours, smallerContext, 'document')
      expect(worst.logProb).toBeLessThan(TOLERANCE[precision].logProb)
      expect(worst.prob).toBeLessThan(TOLERANCE[precision].prob)
    } finally {
      await smallerContext.dispose()
      await smaller.dispose()
    }
  })
})

describe('the Metaspace forms of a SentencePiece tokenizer in GGUF', () => {
  it('writes prepend_scheme never as add_space_prefix false, which llama.cpp tokenizes as we do', async () => {
    const never = await withTokenizer(checkpoint, spmTokenizerText('never'), join(ws.root, 'never.safetensors'))
    const path = join(ws.root, 'never.gguf')
    await exportGguf(never, path)
    const ours = await openCheckpointModel(never)
    const model = await llama.loadModel({ modelPath: path, vocabOnly: true })
    try {
      const ggml = (model.fileInfo.metadata as unknown as { tokenizer: { ggml: Record<string, unknown> } }).tokenizer.ggml
      expect(ggml).toMatchObject({ model: 'llama', add_space_prefix: false, add_bos_token: true })
      for (const text of TEXTS) expect(theirDocument(model, text), JSON.stringify(text)).toEqual(ours.tokenizer.encode(text, 'document'))
      // The case the scheme decides: no ▁ before a text's first word.
      expect(ours.tokenizer.encode('The cat')).not.toEqual(parseTokenizer(spmTokenizerText(), 'tokenizer.json').encode('The cat'))
    } finally {
      await model.dispose()
      await ours.close()
    }
  })

  it.each(['first', 'always'] as const)('refuses prepend_scheme %s naming the field, and writes nothing', async (scheme) => {
    const source = await withTokenizer(checkpoint, spmTokenizerText(scheme), join(ws.root, `${scheme}.safetensors`))
    const out = join(ws.root, `${scheme}-out`)
    await mkdir(out)
    await expect(exportGguf(source, join(out, 'model.gguf'))).rejects.toThrow(
      `${source}: its pre_tokenizer.prepend_scheme is "${scheme}", which puts no ▁ before a text starting with a space where llama.cpp always puts one; it cannot be written as a llama.cpp vocabulary.`,
    )
    expect(await readdir(out)).toEqual([])
  })
})
