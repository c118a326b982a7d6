/**
 * The GGUF file's structure, read back with an independent parser (node-llama-cpp's GGUF reader,
 * pure TypeScript, no llama.cpp) and with raw byte checks: header, key–value metadata, tensor names,
 * ggml dimensions and types, the Conv1D transpose, and the refusals.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readGgufFileInfo } from 'node-llama-cpp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { saveCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { exportGguf } from '../../../../../src/main/engine/checkpoints/export-gguf'
import { fromHalf, toHalf } from '../../../../../src/main/engine/checkpoints/gguf'
import { UserError } from '../../../../../src/shared/errors'
import { makeCheckpoint, tempDir, TINY, tokenizerJson } from './fixtures'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

/** TINY with rows of 32 so Q8_0 applies to every matrix. */
const WIDE = { ...TINY, dModel: 32 }

/** The fixture's tokenizer.json with GPT-2's pre-tokenizer declared, as every trained one has. */
function gpt2Tokenizer(): string {
  const json = JSON.parse(tokenizerJson()) as Record<string, unknown>
  return JSON.stringify({ ...json, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true } })
}

async function checkpointFile(
  options: Parameters<typeof makeCheckpoint>[1] & { tokenizer?: string } = {},
  config = TINY,
) {
  const path = join(dir, 'final_model.safetensors')
  const input = makeCheckpoint(config, options)
  if (input.metadata.tokenizerKind === 'bpe') input.metadata.tokenizer = options.tokenizer ?? gpt2Tokenizer()
  await saveCheckpoint(path, input)
  return { path, input }
}

function param(input: ReturnType<typeof makeCheckpoint>, name: string): Float32Array {
  return input.state.params.find((t) => t.name === name)!.data
}

describe('exportGguf', () => {
  it('writes GGUF v3 with llama.cpp’s GPT-2 keys, tokenizer and tensors, plus a Modelfile', async () => {
    const { path, input } = await checkpointFile()
    const out = join(dir, 'model.gguf')
    const result = await exportGguf(path, out)
    expect((await readdir(dir)).sort()).toEqual(['final_model.safetensors', 'model.Modelfile', 'model.gguf'])
    expect(result.tensorCount).toBe(2 + 12 * TINY.nLayers + 2)

    const bytes = await readFile(out)
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('GGUF')
    expect(bytes.readUInt32LE(4)).toBe(3)

    const info = await readGgufFileInfo(out, { logWarnings: false })
    const meta = info.metadata as unknown as Record<string, Record<string, unknown>>
    expect(info.version).toBe(3)
    expect(meta.general).toMatchObject({ architecture: 'gpt2', file_type: 0, alignment: 32 })
    expect(meta.gpt2).toMatchObject({
      context_length: TINY.seqLen,
      embedding_length: TINY.dModel,
      block_count: TINY.nLayers,
      feed_forward_length: 4 * TINY.dModel,
      attention: { head_count: TINY.nHeads, layer_norm_epsilon: expect.closeTo(1e-5, 9) },
    })
    const tokenizer = (meta.tokenizer as { ggml: Record<string, unknown> }).ggml
    expect(tokenizer).toMatchObject({ model: 'gpt2', pre: 'gpt-2', bos_token_id: 256, eos_token_id: 256, add_bos_token: false })
    const tokens = tokenizer.tokens as string[]
    expect(tokens).toHaveLength(TINY.vocabSize)
    expect(tokens[0]).toBe('b0')
    expect(tokens[256]).toBe('<|endoftext|>')
    expect(tokens[299]).toBe('[PAD299]') // model ids beyond the tokenizer's
    const types = tokenizer.token_type as number[]
    expect([types[0], types[256], types[299]]).toEqual([1, 3, 5])
    expect(tokenizer.merges).toEqual([])

    const tensors = info.tensorInfo!
    const names = tensors.map((t) => t.name)
    expect(names.slice(0, 3)).toEqual(['token_embd.weight', 'position_embd.weight', 'blk.0.attn_norm.weight'])
    expect(names).not.toContain('output.weight') // tied to token_embd, as llama.cpp allows
    expect(names.at(-1)).toBe('output_norm.bias')
    const byName = new Map(tensors.map((t) => [t.name, t]))
    const D = TINY.dModel
    expect(byName.get('token_embd.weight')!.dimensions.map(Number)).toEqual([D, TINY.vocabSize])
    expect(byName.get('blk.1.attn_qkv.weight')!.dimensions.map(Number)).toEqual([D, 3 * D])
    expect(byName.get('blk.1.ffn_down.weight')!.dimensions.map(Number)).toEqual([4 * D, D])
    expect(tensors.every((t) => t.ggmlType === 0)).toBe(true)

    // The Conv1D weight [in, out] is stored as out rows of in values: element (o, i) = W[i][o].
    const dataStart = info.infoEndOffset!
    const qkv = byName.get('blk.1.attn_qkv.weight')!
    expect(Number(qkv.offset) % 32).toBe(0)
    const stored = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart + Number(qkv.offset)), 0, D * 3 * D)
    const original = param(input, 'h.1.attn.c_attn.weight')
    for (const [o, i] of [[0, 0], [5, 3], [3 * D - 1, D - 1], [17, 11]])
      expect(stored[o * D + i]).toBe(original[i * 3 * D + o])
    // Embeddings keep their layout: a row per token.
    const embd = byName.get('token_embd.weight')!
    const rows = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart + Number(embd.offset)), 0, D * TINY.vocabSize)
    expect(rows).toEqual(param(input, 'wte.weight'))
    expect(bytes.length).toBe(dataStart + Number(tensors.at(-1)!.offset) + D * 4) // nothing after the last tensor

    const modelfile = await readFile(join(dir, 'model.Modelfile'), 'utf8')
    expect(modelfile).toMatch(/^# Ollama: ollama create model -f model\.Modelfile && ollama run model /m)
    expect(modelfile).toMatch(/^FROM \.\/model\.gguf$/m)
    expect(modelfile).toMatch(/^PARAMETER num_ctx 8$/m)
    expect(modelfile).toMatch(/^PARAMETER stop "<\|endoftext\|>"$/m)
  })

  it('gives two exports into one folder a Modelfile each, named after its model file', async () => {
    const { path } = await checkpointFile()
    const folder = join(dir, 'two')
    await mkdir(folder)
    const a = await exportGguf(path, join(folder, 'Notes-F32.gguf'))
    const b = await exportGguf(path, join(folder, 'notes-f16.gguf'), { precision: 'f16' })
    expect((await readdir(folder)).sort()).toEqual(['Notes-F32.Modelfile', 'Notes-F32.gguf', 'notes-f16.Modelfile', 'notes-f16.gguf'])
    expect([a.modelfile, b.modelfile]).toEqual([join(folder, 'Notes-F32.Modelfile'), join(folder, 'notes-f16.Modelfile')])
    expect(await readFile(a.modelfile, 'utf8')).toMatch(/^FROM \.\/Notes-F32\.gguf$/m)
    expect(await readFile(a.modelfile, 'utf8')).toMatch(/ollama create notes-f32 -f Notes-F32\.Modelfile/)
    expect(await readFile(b.modelfile, 'utf8')).toMatch(/^FROM \.\/notes-f16\.gguf$/m)
  })

  it('writes F16 matrices and Q8_0 where rows hold whole blocks, keeping norms and biases F32', async () => {
    const { path } = await checkpointFile({}, WIDE)
    const f32 = await exportGguf(path, join(dir, 'f32.gguf'))
    const f16 = await exportGguf(path, join(dir, 'f16.gguf'), { precision: 'f16' })
    const q8 = await exportGguf(path, join(dir, 'q8.gguf'), { precision: 'q8_0' })
    expect(f16.bytes).toBeLessThan(f32.bytes)
    expect(q8.bytes).toBeLessThan(f16.bytes)
    const types = async (file: string) =>
      new Map((await readGgufFileInfo(file, { logWarnings: false })).tensorInfo!.map((t) => [t.name, t.ggmlType as number]))
    const half = await types(f16.path)
    expect([half.get('token_embd.weight'), half.get('blk.0.ffn_up.weight'), half.get('blk.0.ffn_up.bias'), half.get('blk.0.attn_norm.weight')]).toEqual([1, 1, 0, 0])
    const q = await types(q8.path)
    expect([q.get('token_embd.weight'), q.get('blk.0.ffn_down.weight'), q.get('position_embd.weight'), q.get('output_norm.bias')]).toEqual([8, 8, 1, 0])
  })

  it('refuses the word tokenizer with one sentence and writes nothing', async () => {
    const { path } = await checkpointFile({ tokenizerKind: 'word' })
    const error = await exportGguf(path, join(dir, 'model.gguf')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toMatch(/word tokenizer, which GGUF cannot express/)
    expect(await readdir(dir)).toEqual(['final_model.safetensors'])
  })

  it('refuses a BPE tokenizer whose pre-tokenization is not GPT-2’s, naming why', async () => {
    const noPre = await checkpointFile({ tokenizer: tokenizerJson() })
    await expect(exportGguf(noPre.path, join(dir, 'model.gguf'))).rejects.toThrow(/llama.cpp would split differently/)
    const prefixed = JSON.parse(gpt2Tokenizer()) as Record<string, unknown>
    prefixed.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true }
    const withPrefix = await checkpointFile({ tokenizer: JSON.stringify(prefixed) })
    await expect(exportGguf(withPrefix.path, join(dir, 'model.gguf'))).rejects.toThrow(/llama.cpp would split differently/)
    expect(await readdir(dir)).toEqual(['final_model.safetensors'])
  })

  it('refuses a folder as the output, a missing folder, and an unknown precision', async () => {
    const { path } = await checkpointFile()
    await expect(exportGguf(path, dir)).rejects.toThrow(/is a folder; give the GGUF file to write/)
    await expect(exportGguf(path, join(dir, 'nope', 'model.gguf'))).rejects.toThrow(/does not exist/)
    await expect(exportGguf(path, join(dir, 'm.gguf'), { precision: 'q4' as never })).rejects.toThrow(/Unknown GGUF precision "q4"/)
  })

  it('replaces an existing file whole and leaves no temporary file', async () => {
    const { path } = await checkpointFile()
    const out = join(dir, 'model.gguf')
    await writeFile(out, 'old')
    await exportGguf(path, out)
    expect((await readFile(out)).subarray(0, 4).toString('latin1')).toBe('GGUF')
    expect((await readdir(dir)).filter((name) => name.includes('.tmp-'))).toEqual([])
  })
})

describe('toHalf', () => {
  it('rounds to the nearest binary16, ties to even, with subnormals, overflow and NaN', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up past the largest half: infinity
      [1e6, 0x7c00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // a tie between 0 and the smallest subnormal: even (0)
      [3 * 2 ** -25, 0x0002], // a tie between 1 and 2 subnormal units: even (2)
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // a tie: stays on the even 1.0
      [1 + 3 * 2 ** -11, 0x3c02], // a tie: up to the even mantissa
      [Infinity, 0x7c00],
    ]
    for (const [value, bits] of cases) expect(toHalf(value), String(value)).toBe(bits)
    expect(toHalf(NaN) & 0x7c00).toBe(0x7c00)
    expect(toHalf(NaN) & 0x3ff).not.toBe(0)
    for (const value of [0.1, -3.14159, 1234.5, 6e-5, 2 ** -20]) {
      const back = fromHalf(toHalf(value))
      expect(Math.abs(back - value)).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11 + 2 ** -25)
    }
  })
})
