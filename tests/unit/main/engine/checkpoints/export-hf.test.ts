import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportHuggingFace, saveCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { UserError } from '../../../../../src/shared/errors'
import { gpt2Shapes, makeCheckpoint, tempDir, TINY, tokenizerJson } from './fixtures'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

interface Entry {
  dtype: string
  shape: number[]
  data_offsets: [number, number]
}

async function readSafetensors(path: string) {
  const bytes = await readFile(path)
  const length = Number(bytes.readBigUInt64LE(0))
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    unknown
  >
  return { length, header, data: bytes.subarray(8 + length) }
}

async function errorOf(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserError)
  return error as UserError
}

describe('exportHuggingFace', () => {
  it('writes a GPT-2 folder: model.safetensors with exactly GPT-2’s names and shapes, config, tokenizer', async () => {
    const checkpoint = join(dir, 'final_model.safetensors')
    const input = makeCheckpoint()
    await saveCheckpoint(checkpoint, input)
    const out = join(dir, 'hf', 'model')

    const result = await exportHuggingFace(checkpoint, out)
    expect((await readdir(out)).sort()).toEqual([
      'README.md',
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ])
    for (const file of result.files) expect(file.bytes).toBe((await stat(file.path)).size)
    expect(result.endOfTextId).toBe(256)
    expect(result.lmHeadWritten).toBe(false)

    const { length, header, data } = await readSafetensors(join(out, 'model.safetensors'))
    expect(length % 8).toBe(0)
    expect(header.__metadata__).toEqual({ format: 'pt' })
    const entries = Object.entries(header).filter(([name]) => name !== '__metadata__') as Array<
      [string, Entry]
    >
    expect(entries.map(([name, e]) => [name, e.shape])).toEqual(
      gpt2Shapes(TINY).map(([name, shape]) => [`transformer.${name}`, shape]),
    )
    expect(entries.every(([, e]) => e.dtype === 'F32')).toBe(true)
    let cursor = 0
    for (const [, e] of entries) {
      expect(e.data_offsets[0]).toBe(cursor)
      cursor = e.data_offsets[1]
    }
    expect(cursor).toBe(data.length)

    // The Conv1D weight is the parameter as trained, [in, out], byte for byte.
    const [, qkv] = entries.find(([name]) => name === 'transformer.h.1.attn.c_attn.weight')!
    const param = input.state.params.find((t) => t.name === 'h.1.attn.c_attn.weight')!
    const exported = data.subarray(qkv.data_offsets[0], qkv.data_offsets[1])
    expect(
      exported.equals(Buffer.from(param.data.buffer, param.data.byteOffset, param.data.byteLength)),
    ).toBe(true)

    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'))
    expect(config).toMatchObject({
      model_type: 'gpt2',
      architectures: ['GPT2LMHeadModel'],
      vocab_size: 300,
      n_positions: 8,
      n_embd: 16,
      n_layer: 2,
      n_head: 4,
      n_inner: null,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
      bos_token_id: 256,
      eos_token_id: 256,
      tie_word_embeddings: true,
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
    })
    expect(await readFile(join(out, 'tokenizer.json'), 'utf8')).toBe(tokenizerJson())
    const tokenizerConfig = JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8'))
    expect(tokenizerConfig).toMatchObject({
      eos_token: '<|endoftext|>',
      model_max_length: 8,
      clean_up_tokenization_spaces: false,
    })
    expect(JSON.parse(await readFile(join(out, 'special_tokens_map.json'), 'utf8'))).toEqual({
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
    })
    expect(JSON.parse(await readFile(join(out, 'generation_config.json'), 'utf8'))).toEqual({
      bos_token_id: 256,
      eos_token_id: 256,
      max_length: 8,
    })
  })

  it('writes a model card with the config, steps, losses and corpus size from the checkpoint and run.json', async () => {
    const runDir = join(dir, 'my-run')
    await mkdir(runDir)
    await writeFile(
      join(runDir, 'run.json'),
      JSON.stringify({ name: 'my-run', created: '2026-11-27T11:00:00.000Z', config: { model: TINY }, corpusFingerprint: 'sha256:abc', corpusFolder: '/home/me/private/notes' }),
    )
    const checkpoint = join(runDir, 'final_model.safetensors')
    const input = makeCheckpoint(TINY, { step: 321, valLoss: 2.5 })
    input.metadata.sampler = { version: 1, range: { start: 0, end: 45678 }, seqLen: 8, batchSize: 4, seed: 1, drawn: 9 }
    await saveCheckpoint(checkpoint, input)
    await exportHuggingFace(checkpoint, join(dir, 'hf'))
    const card = await readFile(join(dir, 'hf', 'README.md'), 'utf8')
    expect(card).toMatch(/^# my-run$/m)
    expect(card).toMatch(/\| Layers \| 2 \|/)
    expect(card).toMatch(/\| Embedding size \| 16 \|/)
    expect(card).toMatch(/\| Corpus \| folder `notes`, 45,678 training tokens/)
    expect(card).not.toContain('/home/me') // a local path never goes into a card meant to be shared
    expect(card).toMatch(/\| Steps \| 321 \(1\.50 epochs\) \|/)
    expect(card).toMatch(/\| Validation loss \| 2\.5000 nats\/token at step 321 \(perplexity 12\.18\) \|/)
    // An older checkpoint without the mean: its one recorded loss, said to be the last step's.
    expect(card).toMatch(/\| Training loss \| 4\.5000 nats\/token \(last step\) \|/)
    expect(card).toMatch(/\| Learning rate \| 0\.001 \|/)
    // Without run.json (a checkpoint copied elsewhere) the card still says what the file holds.
    const alone = join(dir, 'alone.safetensors')
    await saveCheckpoint(alone, makeCheckpoint(TINY, { valLoss: null }))
    await exportHuggingFace(alone, join(dir, 'hf2'))
    const short = await readFile(join(dir, 'hf2', 'README.md'), 'utf8')
    expect(short).toMatch(/^# CLLM Studio GPT-2 model$/m)
    expect(short).toMatch(/\| Validation loss \| not measured at step 7 \|/)
  })

  it('gives the card the training loss every other place gives (mean of the last 100 steps), and only a validation loss of its own step', async () => {
    // The figures: the last step 2.7541, the mean of the last 100 steps 3.0638.
    const input = makeCheckpoint(TINY, { step: 500, valLoss: 3.3 })
    input.metadata.losses = {
      train: 2.7541,
      trainMean: 3.0638,
      trainWindow: 100,
      val: 3.3,
      recentTrain: [{ step: 500, loss: 2.7541 }],
      // Measured 82 steps before the checkpoint: not the checkpoint's.
      recentVal: [{ step: 418, loss: 3.3 }],
    }
    const checkpoint = join(dir, 'stale-val.safetensors')
    await saveCheckpoint(checkpoint, input)
    await exportHuggingFace(checkpoint, join(dir, 'hf-mean'))
    const card = await readFile(join(dir, 'hf-mean', 'README.md'), 'utf8')
    expect(card).toMatch(/\| Training loss \| 3\.0638 nats\/token \(mean of the last 100 steps\) \|/)
    expect(card).not.toContain('2.7541')
    expect(card).toMatch(/\| Validation loss \| not measured at step 500 \|/)
    expect(card).not.toContain('3.3000')
  })

  it('refuses a word-tokenizer checkpoint before writing anything', async () => {
    const checkpoint = join(dir, 'word.safetensors')
    await saveCheckpoint(checkpoint, makeCheckpoint(TINY, { tokenizerKind: 'word' }))
    const out = join(dir, 'out')
    const error = await errorOf(exportHuggingFace(checkpoint, out))
    expect(error.code).toBe('invalid-input')
    expect(error.message).toMatch(
      /uses the word tokenizer; a Hugging Face GPT-2 export needs the byte-level BPE tokenizer/,
    )
    await expect(stat(out)).rejects.toThrow()
  })

  it('refuses a corrupt checkpoint before writing anything', async () => {
    const checkpoint = join(dir, 'c.safetensors')
    await saveCheckpoint(checkpoint, makeCheckpoint())
    const bytes = await readFile(checkpoint)
    bytes[bytes.length - 10] ^= 0xff
    await writeFile(checkpoint, bytes)
    const out = join(dir, 'out')
    expect((await errorOf(exportHuggingFace(checkpoint, out))).code).toBe('corrupt-checkpoint')
    await expect(stat(out)).rejects.toThrow()
  })

  it('refuses an output path that is a file', async () => {
    const checkpoint = join(dir, 'c.safetensors')
    await saveCheckpoint(checkpoint, makeCheckpoint())
    await writeFile(join(dir, 'file'), 'x')
    expect((await errorOf(exportHuggingFace(checkpoint, join(dir, 'file')))).code).toBe(
      'not-a-folder',
    )
  })
})
