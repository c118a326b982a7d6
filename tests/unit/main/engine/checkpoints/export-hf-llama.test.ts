/**
 * The Hugging Face export of Llama-architecture runs, checked by an independent reader: a PyTorch
 * Llama (bench/llama_torch.py) built only from the exported config.json's transformers fields and
 * model.safetensors' names and shapes (tests/…/hf_llama_folder.py) must score a text as `cllm evaluate`
 * scores it with the checkpoint. A Llama run and a Qwen2-style run (q/k/v biases, Qwen2's epsilon and
 * rotary base), each tied and untied, trained here a few steps; the untied runs keep a family's
 * tokenizer (Llama 3's, Qwen2's) to check that its sections and special tokens reach the folder.
 */
import { spawnSync } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportHuggingFace, loadCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { evaluateTexts, openCheckpointModel } from '../../../../../src/main/engine/session/from-checkpoint'
import { pythonWithTorch } from '../../../support/python-torch'
import type { Workspace } from '../session/fixtures'
import { withFamilyTokenizer, type Family } from './family-tokenizer'
import { PASSAGE, TRAINED_SEQ_LEN, trainedLlama } from './trained-model'

const python = pythonWithTorch()
const ORACLE = join(__dirname, 'hf_llama_folder.py')

/**
 * |Δ mean loss| (nats) between the engine and PyTorch on the same float32 weights: both compute in
 * float32 in another order (measured 5e-8 to 1.2e-7 on these runs, losses ≈ 1.5).
 */
const LOSS_TOLERANCE = 1e-6

/** Longer than two windows of 64 tokens, so full windows and the tail window are both scored. */
const TEXT = PASSAGE + 'The keeper wrote: 12 boats, wind from the north-east; café naïve résumé.\n' + PASSAGE

interface Variant {
  name: string
  qkvBias: boolean
  tiedEmbeddings: boolean
  family?: Family
  hfClass: string
  modelType: string
}

const VARIANTS: Variant[] = [
  { name: 'Llama, tied', qkvBias: false, tiedEmbeddings: true, hfClass: 'LlamaForCausalLM', modelType: 'llama' },
  { name: 'Llama, untied, Llama 3 tokenizer', qkvBias: false, tiedEmbeddings: false, family: 'llama3', hfClass: 'LlamaForCausalLM', modelType: 'llama' },
  { name: 'Qwen2-style, tied, Qwen2 tokenizer', qkvBias: true, tiedEmbeddings: true, family: 'qwen2', hfClass: 'Qwen2ForCausalLM', modelType: 'qwen2' },
  { name: 'Qwen2-style, untied', qkvBias: true, tiedEmbeddings: false, hfClass: 'Qwen2ForCausalLM', modelType: 'qwen2' },
]

const workspaces: Workspace[] = []
afterAll(async () => {
  for (const ws of workspaces) await ws.cleanup()
})

describe.each(VARIANTS)('Hugging Face export of a $name run', (variant) => {
  let checkpoint: string
  let out: string
  let ws: Workspace

  beforeAll(async () => {
    ;({ ws, checkpoint } = await trainedLlama({ ...variant, steps: 40 }))
    workspaces.push(ws)
    if (variant.family) checkpoint = await withFamilyTokenizer(checkpoint, variant.family, ws.root)
    out = join(ws.root, 'hf')
  })

  it('writes the class, config fields, tensors and tokenizer transformers needs', async () => {
    const result = await exportHuggingFace(checkpoint, out)
    expect(result.architecture).toBe(variant.hfClass)
    expect(result.lmHeadWritten).toBe(!variant.tiedEmbeddings)
    expect((await readdir(out)).sort()).toEqual([
      'README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json',
      'tokenizer.json', 'tokenizer_config.json',
    ])
    const { metadata } = await loadCheckpoint(checkpoint)
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>
    expect(config).toMatchObject({
      architectures: [variant.hfClass],
      model_type: variant.modelType,
      vocab_size: 320,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      hidden_act: 'silu',
      max_position_embeddings: TRAINED_SEQ_LEN,
      rms_norm_eps: variant.qkvBias ? 1e-6 : 1e-5,
      rope_theta: variant.qkvBias ? 1e6 : 10000,
      tie_word_embeddings: variant.tiedEmbeddings,
      torch_dtype: 'float32',
      ...(variant.qkvBias ? {} : { attention_bias: false, mlp_bias: false, head_dim: 8 }),
    })
    // The run's tokenizer as it keeps it: a family's pre-tokenizer, BOS rule and added tokens included.
    expect(await readFile(join(out, 'tokenizer.json'), 'utf8')).toBe(metadata.tokenizer)
    const tokenizer = JSON.parse(metadata.tokenizer) as { added_tokens: Array<{ id: number; content: string }> }
    const idOf = (content: string): number => tokenizer.added_tokens.find((t) => t.content === content)!.id
    const [bos, eos] =
      variant.family === 'llama3' ? ['<|begin_of_text|>', '<|end_of_text|>'] : ['<|endoftext|>', '<|endoftext|>']
    expect(config).toMatchObject({ bos_token_id: idOf(bos), eos_token_id: idOf(eos) })
    expect(JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8'))).toMatchObject({ bos_token: bos, eos_token: eos })
    expect(JSON.parse(await readFile(join(out, 'generation_config.json'), 'utf8'))).toEqual({
      bos_token_id: idOf(bos), eos_token_id: idOf(eos), max_length: TRAINED_SEQ_LEN,
    })
    // Hugging Face's own tokenizer on the exported files: our ids, after the family's BOS (Llama 3's).
    const hf = new HfTokenizer(
      JSON.parse(await readFile(join(out, 'tokenizer.json'), 'utf8')) as object,
      JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8')) as object,
    )
    const ours = await openCheckpointModel(checkpoint)
    try {
      const expected = [...(variant.family === 'llama3' ? [idOf(bos)] : []), ...ours.tokenizer.encode(TEXT)]
      expect(hf.encode(TEXT).ids).toEqual(expected)
    } finally {
      await ours.close()
    }
    const card = await readFile(join(out, 'README.md'), 'utf8')
    expect(card).toContain(`model = ${variant.hfClass}.from_pretrained(`)
    expect(card).toMatch(/\| Attention heads \| 4 query, 2 key\/value \(head size 8\) \|/)
  })

  it.skipIf(python === null)('scores a text in PyTorch from the folder alone as cllm evaluate does with the checkpoint', async () => {
    const model = await openCheckpointModel(checkpoint)
    try {
      // Scored as evaluation encodes a text: a document, after its family's BOS where it has one.
      const ids = model.tokenizer.encode(TEXT, 'document')
      expect(ids.length).toBeGreaterThan(2 * TRAINED_SEQ_LEN + 1)
      const ours = await evaluateTexts(model, [TEXT])
      const run = spawnSync(python!, [ORACLE, out], { input: JSON.stringify({ ids }), encoding: 'utf8', timeout: 120_000 })
      expect(run.stderr).toBe('')
      expect(run.status).toBe(0)
      const theirs = JSON.parse(run.stdout) as { loss: number; tokens: number }
      expect(theirs.tokens).toBe(ours.tokens)
      // A model that learned the passage: far below the uniform ln(320) ≈ 5.77.
      expect(ours.loss).toBeLessThan(3)
      expect(Math.abs(theirs.loss - ours.loss)).toBeLessThan(LOSS_TOLERANCE)
    } finally {
      await model.close()
    }
  })
})
