/**
 * The Hugging Face export of a Llama run whose tokenizer is SentencePiece-style BPE with byte
 * fallback (TinyLlama's, Llama 2's shape; spm-run.ts): tokenizer.json goes out as the run keeps it
 * (Prepend/Replace normalizer, ByteFallback decoder, `<s>` post_processor), tokenizer_config.json and
 * special_tokens_map.json name `<s>`, `</s>`, `<unk>` and add_bos_token. Hugging Face's own tokenizer
 * (@huggingface/tokenizers) reading the exported files must encode and decode as we do, `<s>`
 * first; an independent PyTorch Llama (hf_llama_folder.py) built from the folder alone must score
 * those ids as `cllm evaluate` scores the text with the checkpoint.
 */
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportHuggingFace, loadCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { evaluateTexts, openCheckpointModel, type OpenModel } from '../../../../../src/main/engine/session/from-checkpoint'
import { pythonWithTorch } from '../../../support/python-torch'
import type { Workspace } from '../session/fixtures'
import { trainedSpmLlama } from './spm-run'
import { PASSAGE, TRAINED_SEQ_LEN } from './trained-model'

const python = pythonWithTorch()
const ORACLE = join(__dirname, 'hf_llama_folder.py')

/** As export-hf-llama.test.ts: float32 in another order (measured 7.7e-8 nats here, loss 1.42). */
const LOSS_TOLERANCE = 1e-6

/** Longer than two windows, with characters outside the vocabulary (byte fallback) and space runs. */
const TEXT = PASSAGE + 'The keeper wrote: 12 boats, wind from the north-east;  café naïve 日本 🐈.\n' + PASSAGE

let ws: Workspace
let checkpoint: string
let out: string
let ours: OpenModel
let hf: HfTokenizer

beforeAll(async () => {
  ;({ ws, checkpoint } = await trainedSpmLlama(60, false))
  out = join(ws.root, 'hf')
  await exportHuggingFace(checkpoint, out)
  ours = await openCheckpointModel(checkpoint)
  hf = new HfTokenizer(
    JSON.parse(await readFile(join(out, 'tokenizer.json'), 'utf8')) as object,
    JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8')) as object,
  )
})
afterAll(async () => {
  await ours?.close()
  await ws?.cleanup()
})

const json = async (name: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(join(out, name), 'utf8')) as Record<string, unknown>

describe('Hugging Face export of a Llama run with a SentencePiece tokenizer', () => {
  it('writes the tokenizer as the run keeps it, with <s>, </s>, <unk> and add_bos_token', async () => {
    const { metadata } = await loadCheckpoint(checkpoint)
    const tokenizerJson = await readFile(join(out, 'tokenizer.json'), 'utf8')
    expect(tokenizerJson).toBe(metadata.tokenizer)
    const file = JSON.parse(tokenizerJson) as Record<string, { type?: unknown; byte_fallback?: unknown }>
    expect([file.normalizer.type, file.decoder.type, file.post_processor.type]).toEqual(['Sequence', 'Sequence', 'TemplateProcessing'])
    expect(file.model.byte_fallback).toBe(true)
    expect(await json('tokenizer_config.json')).toMatchObject({
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      add_bos_token: true,
      add_eos_token: false,
      model_max_length: TRAINED_SEQ_LEN,
    })
    expect(await json('special_tokens_map.json')).toEqual({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' })
    expect(await json('config.json')).toMatchObject({ architectures: ['LlamaForCausalLM'], bos_token_id: 1, eos_token_id: 2, tie_word_embeddings: false })
    expect(await json('generation_config.json')).toEqual({ bos_token_id: 1, eos_token_id: 2, max_length: TRAINED_SEQ_LEN })
  })

  it('names the tokenizer SentencePiece-style in the model card', async () => {
    expect(await readFile(join(out, 'README.md'), 'utf8')).toMatch(/\| Vocabulary \| [\d,]+ tokens \(SentencePiece-style BPE with byte fallback/)
  })

  it('is read by Hugging Face’s tokenizer, which encodes and decodes as we do, <s> first', () => {
    for (const text of [TEXT, '  starts with spaces', 'if (x) {\n\treturn y\n}\n']) {
      const expected = ours.tokenizer.encode(text, 'document')
      expect(expected[0]).toBe(1)
      expect(hf.encode(text).ids, JSON.stringify(text)).toEqual(expected)
      expect(hf.decode(expected.slice(1)), JSON.stringify(text)).toBe(ours.tokenizer.decode(expected.slice(1)))
    }
  })

  it.skipIf(python === null)('scores Hugging Face’s ids in PyTorch from the folder alone as cllm evaluate does with the checkpoint', async () => {
    const ids = hf.encode(TEXT).ids
    expect(ids.length).toBeGreaterThan(2 * TRAINED_SEQ_LEN + 1)
    const evaluated = await evaluateTexts(ours, [TEXT])
    const run = spawnSync(python!, [ORACLE, out], { input: JSON.stringify({ ids }), encoding: 'utf8', timeout: 120_000 })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const theirs = JSON.parse(run.stdout) as { loss: number; tokens: number }
    expect(theirs.tokens).toBe(evaluated.tokens)
    // A model that learned the passage: far below the uniform ln(320) ≈ 5.77.
    expect(evaluated.loss).toBeLessThan(3)
    expect(Math.abs(theirs.loss - evaluated.loss)).toBeLessThan(LOSS_TOLERANCE)
  })
})
