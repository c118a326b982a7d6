/**
 * A Hugging Face GPT-2 folder in and out: a model trained here is exported, checked with Hugging
 * Face's own tokenizer library and an independent safetensors reader, imported again (identical
 * tensors, identical greedy generation), and imported from the other layouts Hugging Face uses
 * (no `transformer.` prefix, vocab.json + merges.txt, a tied lm_head stored, F16 weights, shards). What
 * cannot be reproduced is refused by name.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportHuggingFace, loadCheckpoint, type Checkpoint } from '../../../../../src/main/engine/checkpoints'
import { toHalf } from '../../../../../src/main/engine/checkpoints/gguf'
import { importHuggingFace } from '../../../../../src/main/engine/checkpoints/import-hf'
import { ADAMW_DEFAULTS } from '../../../../../src/shared/training'
import { createTrainer } from '../../../../../src/main/engine/spheres/pool'
import { openCheckpointModel } from '../../../../../src/main/engine/session/from-checkpoint'
import { generateText } from '../../../../../src/main/engine/session/generate'
import { initialState } from '../../../../../src/main/engine/session/init-from'
import { BpeTokenizer } from '../../../../../src/main/engine/tokenizer'
import type { Workspace } from '../session/fixtures'
import { trainedModel } from './trained-model'

let ws: Workspace
let checkpoint: string
let stored: Checkpoint
let hfDir: string

beforeAll(async () => {
  ;({ ws, checkpoint } = await trainedModel(60))
  stored = await loadCheckpoint(checkpoint)
  hfDir = join(ws.root, 'hf')
  await exportHuggingFace(checkpoint, hfDir)
})
afterAll(() => ws?.cleanup())

interface Entry {
  dtype: string
  shape: number[]
  data_offsets: [number, number]
}

/** An independent safetensors reader: the format read straight from the bytes. */
async function readSafetensors(path: string): Promise<{ header: Record<string, Entry>; data: Buffer }> {
  const bytes = await readFile(path)
  const length = Number(bytes.readBigUInt64LE(0))
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, Entry>
  delete header.__metadata__
  return { header, data: bytes.subarray(8 + length) }
}

function writeSafetensors(path: string, tensors: Array<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }>) {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } }
  let offset = 0
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] }
    offset += t.bytes.length
  }
  const json = Buffer.from(JSON.stringify(header))
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(BigInt(json.length))
  return writeFile(path, Buffer.concat([prefix, json, ...tensors.map((t) => Buffer.from(t.bytes))]))
}

/** A copy of the exported folder whose files `edit` may change. */
async function variant(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(ws.root, name)
  await mkdir(dir)
  for (const file of ['config.json', 'model.safetensors', 'tokenizer.json'])
    await writeFile(join(dir, file), await readFile(join(hfDir, file)))
  await edit(dir)
  return dir
}

async function greedy(params: Checkpoint['state']['params'], tokenizerText: string, prompt: string): Promise<number[]> {
  const model = stored.metadata.config.model
  const trainer = await createTrainer({
    model,
    adamw: { ...ADAMW_DEFAULTS, weightDecay: 0, gradClip: 0 },
    batchSize: 1,
    threads: 1,
    seed: 0,
  })
  try {
    trainer.setState(initialState({ source: '', model, tokenizerKind: 'bpe', tokenizer: tokenizerText, params }))
    const tokenizer = BpeTokenizer.parse(tokenizerText, 'tokenizer.json')
    return (await generateText(trainer, tokenizer, { prompt, maxTokens: 24, temperature: 0, topK: 0, topP: 1, seed: 1 })).tokens
  } finally {
    await trainer.close()
  }
}

describe('the exported Hugging Face folder', () => {
  it('tokenizes like us in Hugging Face’s tokenizers library, and decodes byte-exactly with its tokenizer_config', async () => {
    const tokenizerJson = JSON.parse(await readFile(join(hfDir, 'tokenizer.json'), 'utf8'))
    const tokenizerConfig = JSON.parse(await readFile(join(hfDir, 'tokenizer_config.json'), 'utf8'))
    const hf = new HfTokenizer(tokenizerJson, tokenizerConfig)
    const ours = BpeTokenizer.parse(stored.metadata.tokenizer, 'checkpoint')
    const texts = [
      'The old lighthouse keeper climbed the stairs.',
      'if (x) {\n    return "a" \'b\' ;\n}',
      'naïve café — 日本語 🐈',
      'He said "a" \'b\' , then left .',
    ]
    for (const text of texts) {
      const ids = ours.encode(text)
      expect(hf.encode(text).ids, text).toEqual(ids)
      // tokenizer_config.json's clean_up_tokenization_spaces: false keeps `"a" 'b'` and ` .` as they are.
      expect(hf.decode(ids), text).toBe(text)
    }
  })

  it('holds the checkpoint’s parameters byte for byte, read by an independent safetensors reader', async () => {
    const { header, data } = await readSafetensors(join(hfDir, 'model.safetensors'))
    expect(Object.keys(header)).toHaveLength(stored.state.params.length)
    for (const param of stored.state.params) {
      const entry = header[`transformer.${param.name}`]
      expect(entry.dtype).toBe('F32')
      expect(entry.shape).toEqual(param.shape)
      const bytes = data.subarray(entry.data_offsets[0], entry.data_offsets[1])
      expect(bytes.equals(Buffer.from(param.data.buffer, param.data.byteOffset, param.data.byteLength)), param.name).toBe(true)
    }
  })
})

describe('importHuggingFace', () => {
  it('round trip: export → import gives identical tensors, tokenizer and greedy generation', async () => {
    const imported = await importHuggingFace(hfDir)
    expect(imported.model).toEqual(stored.metadata.config.model)
    expect(imported.tokenizer).toBe(stored.metadata.tokenizer)
    expect(imported.params.map((t) => t.name)).toEqual(stored.state.params.map((t) => t.name))
    imported.params.forEach((t, i) => expect(t.data, t.name).toEqual(stored.state.params[i].data))

    const fromImport = await greedy(imported.params, imported.tokenizer, 'The old lighthouse')
    const model = await openCheckpointModel(checkpoint)
    try {
      const fromCheckpoint = await generateText(model.trainer, model.tokenizer, {
        prompt: 'The old lighthouse',
        maxTokens: 24,
        temperature: 0,
        topK: 0,
        topP: 1,
        seed: 1,
      })
      expect(fromImport).toEqual(fromCheckpoint.tokens)
      expect(fromImport.length).toBeGreaterThan(0)
    } finally {
      await model.close()
    }
  })

  it('reads names without the transformer. prefix, a tied lm_head, F16 weights, and vocab.json + merges.txt', async () => {
    const { header, data } = await readSafetensors(join(hfDir, 'model.safetensors'))
    const dir = await variant('bare', async (d) => {
      const tensors = Object.entries(header).map(([name, e]) => {
        const f32 = new Float32Array(data.buffer.slice(data.byteOffset + e.data_offsets[0], data.byteOffset + e.data_offsets[1]))
        const half = new Uint16Array(f32.length)
        for (let i = 0; i < f32.length; i++) half[i] = toHalf(f32[i])
        return { name: name.replace(/^transformer\./, ''), dtype: 'F16', shape: e.shape, bytes: new Uint8Array(half.buffer) }
      })
      const wte = tensors.find((t) => t.name === 'wte.weight')!
      tensors.push({ ...wte, name: 'lm_head.weight' }, { name: 'h.0.attn.bias', dtype: 'F16', shape: [1], bytes: new Uint8Array(2) })
      await writeSafetensors(join(d, 'model.safetensors'), tensors)
      const json = JSON.parse(await readFile(join(d, 'tokenizer.json'), 'utf8'))
      await writeFile(join(d, 'vocab.json'), JSON.stringify({ ...json.model.vocab, '<|endoftext|>': json.added_tokens[0].id }))
      await writeFile(join(d, 'merges.txt'), `#version: 0.2\n${json.model.merges.join('\n')}\n`)
      await rm(join(d, 'tokenizer.json'))
    })
    const imported = await importHuggingFace(dir)
    const ours = BpeTokenizer.parse(stored.metadata.tokenizer, 'checkpoint')
    const theirs = BpeTokenizer.parse(imported.tokenizer, 'imported')
    expect(theirs.encode(PASSAGE_SAMPLE)).toEqual(ours.encode(PASSAGE_SAMPLE))
    const wte = imported.params[0]
    const original = stored.state.params[0]
    for (let i = 0; i < 50; i++) expect(Math.abs(wte.data[i] - original.data[i])).toBeLessThanOrEqual(Math.abs(original.data[i]) * 2 ** -11 + 2 ** -24)
  })

  it('reads sharded weights (model.safetensors.index.json), as transformers writes a large model', async () => {
    const { header, data } = await readSafetensors(join(hfDir, 'model.safetensors'))
    const dir = await variant('sharded', async (d) => {
      const tensors = Object.entries(header).map(([name, e]) => ({ name, dtype: e.dtype, shape: e.shape, bytes: new Uint8Array(data.subarray(e.data_offsets[0], e.data_offsets[1])) }))
      const half = Math.ceil(tensors.length / 2)
      const shards = [tensors.slice(0, half), tensors.slice(half)]
      const weightMap: Record<string, string> = {}
      for (const [i, shard] of shards.entries()) {
        const file = `model-0000${i + 1}-of-00002.safetensors`
        await writeSafetensors(join(d, file), shard)
        for (const t of shard) weightMap[t.name] = file
      }
      await writeFile(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }))
      await rm(join(d, 'model.safetensors'))
    })
    const imported = await importHuggingFace(dir)
    imported.params.forEach((t, i) => expect(t.data, t.name).toEqual(stored.state.params[i].data))
  })

  it.each([
    ['another architecture', async (d: string) => writeConfig(d, { model_type: 'gpt_neox', architectures: ['GPTNeoXForCausalLM'] }), /describes a GPTNeoXForCausalLM model \(model_type "gpt_neox"\); only GPT-2 \(model_type "gpt2"\) and Llama-family models/],
    ['a config that names no model', async (d: string) => writeConfig(d, { model_type: undefined, architectures: undefined }), /config\.json does not say which model it describes \(no "model_type"\); only GPT-2/],
    ['an architecture without model_type', async (d: string) => writeConfig(d, { model_type: undefined, architectures: ['OPTForCausalLM'] }), /describes an OPTForCausalLM model \(no "model_type"\); only GPT-2/],
    ['another activation', async (d: string) => writeConfig(d, { activation_function: 'relu' }), /activation_function "relu" is not supported/],
    ['an untied head', async (d: string) => writeConfig(d, { tie_word_embeddings: false }), /tie_word_embeddings false is not supported/],
    ['pickled weights only', async (d: string) => { await rm(join(d, 'model.safetensors')); await writeFile(join(d, 'pytorch_model.bin'), 'x') }, /pytorch_model\.bin \(a Python pickle, which is never loaded here\)/],
    ['no tokenizer', async (d: string) => rm(join(d, 'tokenizer.json')), /has no tokenizer: it needs tokenizer\.json, or vocab\.json and merges\.txt/],
    ['no config', async (d: string) => rm(join(d, 'config.json')), /has no config\.json/],
    ['a shape that is not the config’s', async (d: string) => writeConfig(d, { n_embd: 64, n_head: 2 }), /tensor transformer\.wte\.weight is \[320, 32\], but config\.json's shape needs \[320, 64\]/],
  ])('refuses %s by name', async (name, edit, message) => {
    const dir = await variant(name.replace(/\W+/g, '-'), edit)
    await expect(importHuggingFace(dir)).rejects.toThrow(message)
  })
})

const PASSAGE_SAMPLE = 'At the top he wound the clock, trimmed the wick.'

async function writeConfig(dir: string, change: Record<string, unknown>): Promise<void> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))
  await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, ...change }))
}
