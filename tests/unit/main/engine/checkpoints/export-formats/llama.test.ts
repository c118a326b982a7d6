/**
 * The Llama family's export naming without llama.cpp: the q/k permutation keeps every attention score
 * (Hugging Face's rotate_half rope on the original rows = llama.cpp's interleaved rope on the permuted
 * rows), the GGUF keys and tensors as read back by node-llama-cpp's own GGUF parser (pure TypeScript),
 * the weights byte for byte, and the refusals of tokenizers llama.cpp would split differently.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readGgufFileInfo } from 'node-llama-cpp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { saveCheckpoint } from '../../../../../../src/main/engine/checkpoints'
import { exportGguf } from '../../../../../../src/main/engine/checkpoints/export-gguf'
import { permuteForNormRope } from '../../../../../../src/main/engine/checkpoints/export-formats/llama'
import type { ModelConfig } from '../../../../../../src/main/engine/model/trainer'
import { UserError } from '../../../../../../src/shared/errors'
import { gpt2TokenizerJson, LLAMA_TINY, makeCheckpoint, random, tempDir } from '../fixtures'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

const LLAMA = LLAMA_TINY
const QWEN2: ModelConfig = { ...LLAMA, normEps: 1e-6, ropeTheta: 1e6, tiedEmbeddings: false, qkvBias: true }

/** A checkpoint of `config` with random weights (the names and shapes of its layout). */
async function llamaCheckpoint(config: ModelConfig, tokenizer = gpt2TokenizerJson()) {
  const input = makeCheckpoint(config)
  input.metadata.tokenizer = tokenizer
  const path = join(dir, 'final_model.safetensors')
  await saveCheckpoint(path, input)
  const params = new Map(input.state.params.map((t) => [t.name, t.data]))
  return { path, params }
}

/** Rotary positions on one head's vector: HF pairs i with i + hs/2, llama.cpp's NORM rope pairs 2i with 2i + 1. */
function rope(v: Float64Array, position: number, interleaved: boolean): Float64Array {
  const hs = v.length
  const out = new Float64Array(hs)
  for (let i = 0; i < hs / 2; i++) {
    const angle = position / 10000 ** ((2 * i) / hs)
    const [a, b] = interleaved ? [2 * i, 2 * i + 1] : [i, i + hs / 2]
    out[a] = v[a] * Math.cos(angle) - v[b] * Math.sin(angle)
    out[b] = v[b] * Math.cos(angle) + v[a] * Math.sin(angle)
  }
  return out
}

function headOf(w: Float32Array, x: Float64Array, head: number, hs: number): Float64Array {
  const inputs = x.length
  const out = new Float64Array(hs)
  for (let r = 0; r < hs; r++) for (let c = 0; c < inputs; c++) out[r] += w[(head * hs + r) * inputs + c] * x[c]
  return out
}

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((sum, v, i) => sum + v * b[i], 0)

describe('permuteForNormRope', () => {
  it('keeps every attention score: HF rope on the rows as trained = NORM rope on the permuted rows', () => {
    const next = random(3)
    const [heads, hs, inputs] = [3, 8, 5]
    const wq = Float32Array.from({ length: heads * hs * inputs }, () => next() - 0.5)
    const wk = Float32Array.from({ length: heads * hs * inputs }, () => next() - 0.5)
    const x = Float64Array.from({ length: inputs }, () => next() - 0.5)
    const y = Float64Array.from({ length: inputs }, () => next() - 0.5)
    const [pq, pk] = [permuteForNormRope(wq, heads, inputs), permuteForNormRope(wk, heads, inputs)]
    for (let h = 0; h < heads; h++) {
      const hf = dot(rope(headOf(wq, x, h, hs), 5, false), rope(headOf(wk, y, h, hs), 2, false))
      const gguf = dot(rope(headOf(pq, x, h, hs), 5, true), rope(headOf(pk, y, h, hs), 2, true))
      expect(gguf).toBeCloseTo(hf, 12)
      // Without the permutation the interleaved rope gives another score.
      expect(Math.abs(dot(rope(headOf(wq, x, h, hs), 5, true), rope(headOf(wk, y, h, hs), 2, true)) - hf)).toBeGreaterThan(1e-6)
    }
  })

  it("is llama.cpp converter's reshape(heads, 2, hs/2, in).swapaxes(1, 2): row h·hs + 2i + j ← h·hs + j·hs/2 + i", () => {
    const w = Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => i)
    const rows = Array.from({ length: 8 }, (_, r) => permuteForNormRope(w, 2, 3)[r * 3] / 3)
    expect(rows).toEqual([0, 2, 1, 3, 4, 6, 5, 7])
  })
})

describe('exportGguf of a Llama-architecture checkpoint', () => {
  it.each([
    ['llama', LLAMA],
    ['qwen2', QWEN2],
  ] as const)('writes general.architecture %s with its keys and tensors', async (arch, config) => {
    const { path, params } = await llamaCheckpoint(config)
    const out = join(dir, 'model.gguf')
    const result = await exportGguf(path, out, { precision: 'q8_0' })
    expect(result).toMatchObject({ architecture: arch, preTokenizer: 'gpt-2', endOfTextId: 256 })
    const info = await readGgufFileInfo(out, { logWarnings: false })
    const meta = info.metadata as unknown as Record<string, Record<string, unknown>>
    expect(meta.general).toMatchObject({ architecture: arch, file_type: 7 })
    expect(meta[arch]).toEqual({
      vocab_size: 300,
      context_length: 8,
      embedding_length: 32,
      block_count: 2,
      feed_forward_length: 64,
      attention: { head_count: 4, head_count_kv: 2, layer_norm_rms_epsilon: expect.closeTo(config.normEps!, 12) },
      rope: { freq_base: config.ropeTheta, dimension_count: 8 },
    })
    expect((meta.tokenizer as { ggml: Record<string, unknown> }).ggml).toMatchObject({ model: 'gpt2', pre: 'gpt-2', add_bos_token: false })

    const tensors = info.tensorInfo!
    const block = (l: number): string[] => [
      `blk.${l}.attn_norm.weight`, `blk.${l}.attn_q.weight`, `blk.${l}.attn_k.weight`, `blk.${l}.attn_v.weight`,
      ...(arch === 'qwen2' ? [`blk.${l}.attn_q.bias`, `blk.${l}.attn_k.bias`, `blk.${l}.attn_v.bias`] : []),
      `blk.${l}.attn_output.weight`, `blk.${l}.ffn_norm.weight`, `blk.${l}.ffn_gate.weight`, `blk.${l}.ffn_up.weight`,
      `blk.${l}.ffn_down.weight`,
    ]
    expect(tensors.map((t) => t.name)).toEqual([
      'token_embd.weight', ...block(0), ...block(1), 'output_norm.weight', ...(arch === 'qwen2' ? ['output.weight'] : []),
    ])
    const byName = new Map(tensors.map((t) => [t.name, t]))
    const dims = (name: string): number[] => byName.get(name)!.dimensions.map(Number)
    expect(dims('token_embd.weight')).toEqual([32, 300])
    expect(dims('blk.0.attn_q.weight')).toEqual([32, 32])
    expect(dims('blk.0.attn_k.weight')).toEqual([32, 16])
    expect(dims('blk.0.ffn_down.weight')).toEqual([64, 32])
    // Q8_0 (type 8) for every matrix, F32 (0) for norms and biases.
    for (const t of tensors) expect([t.name, t.ggmlType]).toEqual([t.name, t.dimensions.length === 2 ? 8 : 0])

    // F32 bytes: q and k permuted for llama (not for qwen2), v and the biases as trained.
    const f32 = join(dir, 'f32.gguf')
    await exportGguf(path, f32)
    const bytes = await readFile(f32)
    const info32 = await readGgufFileInfo(f32, { logWarnings: false })
    const stored = (name: string): Float32Array => {
      const t = info32.tensorInfo!.find((x) => x.name === name)!
      const length = t.dimensions.map(Number).reduce((a, b) => a * b, 1)
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset + info32.infoEndOffset! + Number(t.offset)), 0, length)
    }
    const q = params.get('model.layers.1.self_attn.q_proj.weight')!
    const k = params.get('model.layers.1.self_attn.k_proj.weight')!
    expect(stored('blk.1.attn_q.weight')).toEqual(arch === 'llama' ? permuteForNormRope(q, 4, 32) : q)
    expect(stored('blk.1.attn_k.weight')).toEqual(arch === 'llama' ? permuteForNormRope(k, 2, 32) : k)
    expect(stored('blk.1.attn_v.weight')).toEqual(params.get('model.layers.1.self_attn.v_proj.weight'))
    expect(stored('blk.1.ffn_gate.weight')).toEqual(params.get('model.layers.1.mlp.gate_proj.weight'))
    if (arch === 'qwen2') {
      expect(stored('blk.1.attn_k.bias')).toEqual(params.get('model.layers.1.self_attn.k_proj.bias'))
      expect(stored('output.weight')).toEqual(params.get('lm_head.weight'))
    }
  })

  it('refuses, in one line and writing nothing, a tokenizer llama.cpp would split differently', async () => {
    const base = JSON.parse(gpt2TokenizerJson()) as { model: Record<string, unknown> }
    const cases: Array<[string, RegExp]> = [
      [JSON.stringify({ ...base, model: { ...base.model, ignore_merges: true } }), /model\.ignore_merges is true with gpt-2 pre-tokenization/],
      [JSON.stringify({ ...base, pre_tokenizer: { type: 'Whitespace' } }), /its pre_tokenizer is not one this engine encodes exactly/],
      [JSON.stringify({ ...base, model: { ...base.model, byte_fallback: true } }), /model\.byte_fallback is true/],
    ]
    for (const [tokenizer, why] of cases) {
      const { path } = await llamaCheckpoint(LLAMA, tokenizer)
      const error = await exportGguf(path, join(dir, 'model.gguf')).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UserError)
      const message = (error as Error).message
      expect(message).toMatch(/has a tokenizer llama\.cpp would split differently/)
      expect(message).toMatch(why)
      expect(message).not.toContain('\n')
      expect(await readdir(dir)).toEqual(['final_model.safetensors'])
    }
  })
})
