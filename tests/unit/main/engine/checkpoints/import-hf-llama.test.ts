/**
 * Starting from a Llama-family Hugging Face folder (llama — SmolLM2-style and TinyLlama-style with a
 * SentencePiece tokenizer —, qwen2, mistral). The folders are written
 * by PyTorch 1.13 (tests/…/hf_llama_import.py: random weights, safetensors written by hand, one file
 * or shards, F32 / F16 / BF16), and the same script reads them back into an independent Llama with
 * Hugging Face semantics (bench/llama_torch.py) as the oracle: the engine's model, loaded through
 * importHuggingFace, gives the same loss and logits within float32 noise, and a fine-tuning run
 * started from the folder (--init-from) starts at PyTorch's validation loss. What the kernels would
 * compute differently, a broken shard index and links among the files are refused by name.
 */
import { spawnSync } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi } from '../../../../../src/main/engine/api/engine-api'
import { exportHuggingFace, loadCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { importHuggingFace, type InitialModel } from '../../../../../src/main/engine/checkpoints/import-hf'
import { llamaShapeFromConfig } from '../../../../../src/main/engine/checkpoints/import-hf-llama'
import { countParams } from '../../../../../src/main/engine/model/architectures'
import { validationStarts } from '../../../../../src/main/engine/dataset'
import { DatasetManifest } from '../../../../../src/main/engine/dataset/cache'
import { layoutOf } from '../../../../../src/main/engine/dataset/prepare'
import { splitRanges } from '../../../../../src/main/engine/dataset/split'
import { createSession, VALIDATION_WINDOWS } from '../../../../../src/main/engine/session'
import { fineTuneRunConfig, initialState } from '../../../../../src/main/engine/session/init-from'
import { fineTuneConfig } from '../../../../../src/main/engine/session/resolve-config'
import { createTrainer } from '../../../../../src/main/engine/spheres/pool'
import { BYTE_TO_CHAR } from '../../../../../src/main/engine/tokenizer/byte-level'
import { FAMILY_SPLIT_PATTERNS } from '../../../../../src/main/engine/tokenizer/pretokenize'
import { BpeTokenizer } from '../../../../../src/main/engine/tokenizer'
import { ADAMW_DEFAULTS } from '../../../../../src/shared/training'
import { train } from '../../../../../src/cli/commands/train'
import { pythonWithTorch } from '../../../support/python-torch'
import { capture } from '../../../cli/commands/cli-fixtures'
import { payloads, record, workspace, type Workspace } from '../session/fixtures'
import { openCheckpointModel } from '../../../../../src/main/engine/session/from-checkpoint'
import { generateText } from '../../../../../src/main/engine/session/generate'
import { withFamilyTokenizer } from './family-tokenizer'
import { PASSAGE, trainedLlama } from './trained-model'
import { buildSpmFile } from '../tokenizer/spm-file'

const SCRIPT = join(__dirname, 'hf_llama_import.py')
const python = pythonWithTorch()

function runPython(request: object): string {
  const run = spawnSync(python!, [SCRIPT], { input: JSON.stringify(request), maxBuffer: 64 << 20, timeout: 120_000 })
  if (run.error || run.status !== 0) throw new Error(`hf_llama_import.py failed: ${run.error?.message ?? run.stderr.toString()}`)
  return run.stdout.toString()
}

// ---- tokenizer.json files of the byte-level families, built here (no download) ----

const MERGES: Array<[string, string]> = [
  ['t', 'h'], ['th', 'e'], ['Ġ', 'the'], ['Ġ', 't'], ['i', 'n'], ['e', 'r'], ['a', 'n'], ['Ġ', 'a'],
  ['o', 'u'], ['r', 'e'], ['o', 'n'], ['e', 's'], ['Ġ', 's'],
]
const byteLevel = (useRegex: boolean): object => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: useRegex })
const split = (pattern: string): object => ({ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false })
const special = (id: number, content: string): object => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })

type Family = 'smollm' | 'qwen2' | 'llama3' | 'spm'
/** Specials after the byte tokens and merges; the first is the end of text. */
const SPECIALS: Record<Exclude<Family, 'spm'>, string[]> = {
  smollm: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  qwen2: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  llama3: ['<|end_of_text|>', '<|begin_of_text|>', '<|eot_id|>'],
}
const VOCAB = 256 + MERGES.length + 3
/** TinyLlama's / Llama 2's kind: SentencePiece-style BPE with byte fallback (tokenizer/spm-file.ts). */
const SPM_FILE = buildSpmFile(PASSAGE.repeat(3), 40)
const SPM_VOCAB = Math.max(...Object.values(SPM_FILE.model.vocab)) + 1

function tokenizerJson(family: Family): string {
  if (family === 'spm') return JSON.stringify(SPM_FILE)
  const vocab: Record<string, number> = {}
  BYTE_TO_CHAR.forEach((char, id) => (vocab[char] = id))
  for (const [a, b] of MERGES) vocab[a + b] = Object.keys(vocab).length
  const specials = SPECIALS[family].map((content, i) => special(256 + MERGES.length + i, content))
  const preTokenizer =
    family === 'smollm'
      ? { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] }
      : { type: 'Sequence', pretokenizers: [split(FAMILY_SPLIT_PATTERNS[family]), byteLevel(false)] }
  const bos = 256 + MERGES.length + 1
  const postProcessor =
    family === 'llama3'
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [bos], tokens: ['<|begin_of_text|>'] } },
        }
      : byteLevel(false)
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials,
    normalizer: family === 'qwen2' ? { type: 'NFC' } : null,
    pre_tokenizer: preTokenizer,
    post_processor: postProcessor,
    decoder: byteLevel(true),
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: family === 'llama3', vocab, merges: MERGES.map(([a, b]) => `${a} ${b}`) },
  })
}

const CHAT_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"

// ---- the folders ----

const base = { vocab_size: VOCAB, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48, max_position_embeddings: 32, hidden_act: 'silu', rope_scaling: null }
const CASES = {
  /** SmolLM2-style llama: grouped-query attention, untied head, F32, one file. */
  llama: {
    config: { ...base, model_type: 'llama', architectures: ['LlamaForCausalLM'], num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false, attention_bias: false, mlp_bias: false, head_dim: 8 },
    dtype: 'F32', shards: 1, family: 'smollm' as Family, lmHeadCopy: false,
  },
  /** Qwen2: q/k/v biases, tied head (also stored as lm_head), BF16, three shards. */
  qwen2: {
    config: { ...base, model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], num_key_value_heads: 1, rms_norm_eps: 1e-6, rope_theta: 1000000, tie_word_embeddings: true, use_sliding_window: false, sliding_window: 32768, max_window_layers: 21 },
    dtype: 'BF16', shards: 3, family: 'qwen2' as Family, lmHeadCopy: true,
  },
  /** Mistral without a window shorter than its context, F16, two shards, Llama 3's tokenizer. */
  mistral: {
    config: { ...base, model_type: 'mistral', architectures: ['MistralForCausalLM'], num_key_value_heads: 4, rms_norm_eps: 1e-5, rope_theta: 500, tie_word_embeddings: false, sliding_window: 4096 },
    dtype: 'F16', shards: 2, family: 'llama3' as Family, lmHeadCopy: false,
  },
  /** TinyLlama-style llama: SentencePiece-style tokenizer (LlamaTokenizerFast, BOS added), untied, BF16, two shards. */
  tinyllama: {
    config: { ...base, vocab_size: SPM_VOCAB, model_type: 'llama', architectures: ['LlamaForCausalLM'], num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false },
    dtype: 'BF16', shards: 2, family: 'spm' as Family, lmHeadCopy: false,
  },
} as const
type CaseName = keyof typeof CASES

let ws: Workspace
const folders = {} as Record<CaseName, string>

beforeAll(async () => {
  ws = await workspace(0)
  for (let i = 0; i < 3; i++) await writeFile(join(ws.corpus, `passage${i}.txt`), PASSAGE.repeat(6))
  if (!python) return
  for (const [name, c] of Object.entries(CASES) as Array<[CaseName, (typeof CASES)[CaseName]]>) {
    const dir = join(ws.root, name)
    runPython({ write: dir, config: c.config, dtype: c.dtype, shards: c.shards, seed: 7, lmHeadCopy: c.lmHeadCopy })
    await writeFile(join(dir, 'tokenizer.json'), tokenizerJson(c.family))
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(name === 'tinyllama'
      ? { tokenizer_class: 'LlamaTokenizerFast', chat_template: CHAT_TEMPLATE, bos_token: '<s>', eos_token: '</s>', add_bos_token: true, add_eos_token: false }
      : { chat_template: CHAT_TEMPLATE, bos_token: null, eos_token: '<|im_end|>', add_bos_token: false }))
    folders[name] = dir
  }
}, 300_000)
afterAll(() => ws?.cleanup())

/** Windows of T + 1 ids: the passage, encoded by Hugging Face's own tokenizer from the folder's file. */
async function windowsOf(dir: string, count: number, T: number): Promise<number[][]> {
  const hf = new HfTokenizer(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')), {})
  const ids = hf.encode(PASSAGE.repeat(3), { add_special_tokens: false }).ids
  return Array.from({ length: count }, (_, w) => ids.slice(w * 7, w * 7 + T + 1))
}

async function withTrainer<R>(initial: InitialModel, seqLen: number, use: (trainer: Awaited<ReturnType<typeof createTrainer>>) => Promise<R>): Promise<R> {
  const trainer = await createTrainer({ model: { ...initial.model, seqLen }, adamw: { ...ADAMW_DEFAULTS, weightDecay: 0, gradClip: 0 }, batchSize: 2, threads: 1, seed: 0 })
  try {
    trainer.setState(initialState(initial))
    return await use(trainer)
  } finally {
    await trainer.close()
  }
}

describe.skipIf(!python)('a Llama-family Hugging Face folder, against PyTorch', () => {
  it.each(Object.keys(CASES) as CaseName[])('%s: the imported model gives PyTorch’s loss and logits', async (name) => {
    const c = CASES[name]
    const imported = await importHuggingFace(folders[name])
    expect(imported.family).toBe(name === 'tinyllama' ? 'llama' : name)
    expect(imported.model).toEqual({
      architecture: 'llama', vocabSize: c.config.vocab_size, seqLen: 32, dModel: 32, nLayers: 2, nHeads: 4,
      nKvHeads: c.config.num_key_value_heads, ffnDim: 48, normEps: c.config.rms_norm_eps, ropeTheta: c.config.rope_theta,
      tiedEmbeddings: c.config.tie_word_embeddings, qkvBias: name === 'qwen2',
    })
    expect(imported.chat).toEqual(name === 'tinyllama' ? { template: CHAT_TEMPLATE, bosToken: '<s>', eosToken: '</s>' } : { template: CHAT_TEMPLATE, bosToken: '', eosToken: '<|im_end|>' })
    const T = 24
    const windows = await windowsOf(folders[name], 2, T)
    const torch = JSON.parse(runPython({ read: folders[name], windows })) as { loss: number; logits: number[][] }
    const flat = Uint32Array.from(windows.flat())
    await withTrainer(imported, T, async (trainer) => {
      const loss = await trainer.evaluate(flat, [0, T + 1])
      console.log(`${name} (${c.dtype}, ${c.shards} file(s)): loss ${loss.toFixed(6)}, PyTorch ${torch.loss.toFixed(6)}`)
      expect(Math.abs(loss - torch.loss)).toBeLessThan(2e-6 * torch.loss)
      for (let w = 0; w < windows.length; w++) {
        const logits = await trainer.logits(windows[w].slice(0, T))
        let worst = 0
        for (let v = 0; v < imported.model.vocabSize; v++) worst = Math.max(worst, Math.abs(logits[v] - torch.logits[w][v]))
        expect(worst).toBeLessThan(1e-5)
      }
    })
  })

  it('models.inspect (Start from a model) says the family and its shape', async () => {
    const engine = createEngineApi({ transport: 'websocket', version: 't', sampleCorpus: ws.corpus, checkpointDir: ws.checkpoints, mayRead: (folder) => folder.startsWith(ws.root), readableRoots: [ws.root] })
    const reply = await engine.dispatch('models.inspect', { path: folders.qwen2 }, { transport: 'test' })
    const model = { architecture: 'llama', vocabSize: VOCAB, embedDim: 32, numLayers: 2, numHeads: 4, numKvHeads: 1, seqLen: 32, ffnDim: 48, normEps: 1e-6, ropeTheta: 1e6, tiedEmbeddings: true, qkvBias: true }
    expect(reply).toEqual({ ok: true, value: { path: folders.qwen2, kind: 'huggingface', family: 'qwen2', model, tokenizer: 'bpe', parameters: expect.any(Number) } })
    const { parameters } = (reply as { value: { parameters: number } }).value
    expect(parameters).toBe((await importHuggingFace(folders.qwen2)).params.reduce((sum, t) => sum + t.data.length, 0))
  })

  it('keeps the family’s tokenizer sections (special tokens, BOS rule) and encodes as Hugging Face does', async () => {
    const imported = await importHuggingFace(folders.mistral)
    const kept = JSON.parse(imported.tokenizer) as Record<string, unknown>
    const original = JSON.parse(tokenizerJson('llama3')) as Record<string, unknown>
    for (const section of ['added_tokens', 'pre_tokenizer', 'post_processor', 'decoder', 'normalizer'])
      expect(kept[section], section).toEqual(original[section])
    const hf = new HfTokenizer(kept, {})
    const ours = BpeTokenizer.parse(imported.tokenizer, 'kept')
    for (const text of [PASSAGE, 'In 2024 the sea rose 1234 mm; "the" and \'re here.\n\n  Done'])
      expect(ours.encode(text)).toEqual(hf.encode(text, { add_special_tokens: false }).ids)
    // The BOS rule written back: Hugging Face adds <|begin_of_text|> from the kept post_processor.
    expect(hf.encode('the sea').ids[0]).toBe(256 + MERGES.length + 1)
  })

  it('keeps the BOS/EOS rule transformers loads: LlamaTokenizer classes rebuild it from add_bos_token / add_eos_token', async () => {
    const dirWith = async (name: CaseName, tokenizerConfig: object): Promise<string> => {
      const dir = join(ws.root, `bos-${name}-${Object.keys(tokenizerConfig).join('-')}-${JSON.stringify(tokenizerConfig).length}`)
      await cp(folders[name], dir, { recursive: true })
      await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig))
      return dir
    }
    const encode = async (dir: string, text: string): Promise<number[]> => {
      const kept = JSON.parse((await importHuggingFace(dir)).tokenizer) as Record<string, unknown>
      return new HfTokenizer(kept, {}).encode(text).ids
    }
    const [start, end] = [256 + MERGES.length + 1, 256 + MERGES.length + 2]
    const plain = new HfTokenizer(JSON.parse(tokenizerJson('qwen2')), {}).encode('the sea').ids
    // Qwen2's file adds nothing; a LlamaTokenizerFast class adds its bos_token (add_bos_token defaults to true).
    expect(await encode(await dirWith('qwen2', { tokenizer_class: 'Qwen2TokenizerFast', add_bos_token: true, bos_token: '<|im_start|>' }), 'the sea')).toEqual(plain)
    expect(await encode(await dirWith('qwen2', { tokenizer_class: 'LlamaTokenizerFast', bos_token: '<|im_start|>' }), 'the sea')).toEqual([start, ...plain])
    expect(await encode(await dirWith('qwen2', { tokenizer_class: 'LlamaTokenizerFast', bos_token: { content: '<|im_start|>' }, eos_token: '<|im_end|>', add_eos_token: true }), 'the sea')).toEqual([start, ...plain, end])
    // Llama 3's file adds <|begin_of_text|>; the class with add_bos_token false takes it away.
    const llama3 = new HfTokenizer(JSON.parse(tokenizerJson('llama3')), {}).encode('the sea', { add_special_tokens: false }).ids
    expect(await encode(await dirWith('mistral', { tokenizer_class: 'LlamaTokenizerFast', add_bos_token: false }), 'the sea')).toEqual(llama3)
    expect(await encode(await dirWith('mistral', { tokenizer_class: 'PreTrainedTokenizerFast', add_bos_token: false }), 'the sea')).toEqual([start, ...llama3])
    await expect(importHuggingFace(await dirWith('qwen2', { tokenizer_class: 'LlamaTokenizerFast', bos_token: null }))).rejects.toThrow(/tokenizer_config\.json: add_bos_token is true but bos_token is not set/)
    await expect(importHuggingFace(await dirWith('qwen2', { tokenizer_class: 'LlamaTokenizerFast', bos_token: '<s>' }))).rejects.toThrow(/bos_token "<s>" is not a token of tokenizer\.json/)
  })

  it.each(['qwen2', 'tinyllama'] as const)('a fine-tuning run from the %s folder starts at PyTorch’s validation loss, trains, and records a llama model', async (name) => {
    const session = await createSession({
      folder: ws.corpus,
      initFrom: folders[name],
      sample: false,
      config: { model: { seqLen: 16 }, training: { maxSteps: 3, threads: 1, evalInterval: 3, batchSize: 2 }, paths: { checkpointDir: ws.checkpoints, runName: `ft-${name}` } },
    })
    const events = record(session)
    const finished = await session.run()
    expect(finished.state).toBe('done')
    const [started] = payloads(events, 'training.started')
    const c = CASES[name].config
    expect(started.config.model).toMatchObject({ architecture: 'llama', seqLen: 16, numKvHeads: c.num_key_value_heads, qkvBias: name === 'qwen2', tiedEmbeddings: c.tie_word_embeddings, ropeTheta: c.rope_theta })
    // The validation windows the run evaluated, from its own dataset files, through PyTorch.
    const runDir = join(ws.checkpoints, `ft-${name}`)
    const manifest = DatasetManifest.parse(JSON.parse(await readFile(join(runDir, 'dataset.json'), 'utf8')))
    const bytes = await readFile(join(runDir, 'tokens.bin'))
    const tokens = manifest.tokens.dtype === 'uint16' ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2) : new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
    const starts = validationStarts(splitRanges(layoutOf(manifest), 16).validation, 16, VALIDATION_WINDOWS)
    expect(starts.length).toBeGreaterThan(0)
    const windows = starts.map((s) => Array.from(tokens.subarray(s, s + 17)))
    const torch = JSON.parse(runPython({ read: folders[name], windows })) as { loss: number }
    console.log(`fine-tune from ${name}: initial validation loss ${started.initialValLoss}, PyTorch ${torch.loss} over ${windows.length} windows`)
    expect(Math.abs(started.initialValLoss! - torch.loss)).toBeLessThan(5e-6 * torch.loss)
    // It trained: three steps, a checkpoint of the llama model with the folder's tokenizer and template.
    const checkpoint = await loadCheckpoint(finished.checkpoint!)
    expect(checkpoint.metadata.step).toBe(3)
    expect(checkpoint.metadata.config.model).toMatchObject({ architecture: 'llama', qkvBias: name === 'qwen2', seqLen: 16 })
    const kept = JSON.parse(checkpoint.metadata.tokenizer) as Record<string, unknown>
    const original = JSON.parse(tokenizerJson(CASES[name].family)) as Record<string, unknown>
    for (const section of ['pre_tokenizer', 'normalizer', 'decoder', 'post_processor']) expect(kept[section], section).toEqual(original[section])
    expect((checkpoint.metadata.config as { chat?: { template: string } }).chat?.template).toBe(CHAT_TEMPLATE)
    const moved = checkpoint.state.params.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight')!
    const initial = (await importHuggingFace(folders[name])).params.find((t) => t.name === moved.name)!
    expect(moved.data.some((v, i) => v !== initial.data[i])).toBe(true)
  }, 120_000)
})

describe.skipIf(!python)('cllm train --init-from a Llama-family folder', () => {
  it('trains on the --seq-len window given, saying where it starts from; a longer window is refused naming the flag', async () => {
    const io = capture()
    await train(ws.corpus, { initFrom: folders.llama, seqLen: 16, maxSteps: 2, threads: 1, checkpointDir: ws.checkpoints, runName: 'ft-cli-llama' }, io)
    expect(io.stdout()).toContain(`Starting    from ${folders.llama} (its shape, tokenizer and weights)`)
    const run = JSON.parse(await readFile(join(ws.checkpoints, 'ft-cli-llama', 'run.json'), 'utf8'))
    expect(run.config.model).toMatchObject({ architecture: 'llama', seqLen: 16, nKvHeads: 2, tiedEmbeddings: false })
    await expect(train(ws.corpus, { initFrom: folders.llama, seqLen: 64, maxSteps: 2, threads: 1, checkpointDir: ws.checkpoints }, capture())).rejects.toThrow(
      /--seq-len 64 is longer than the context of the model being fine-tuned \(32 in .*llama\); give at most 32/,
    )
  }, 120_000)
})

describe.skipIf(!python)('what cannot be reproduced is refused by name', () => {
  let trial = 0
  /** A copy of a case's folder with `edit` applied. */
  async function variant(name: CaseName, edit: (dir: string) => Promise<unknown>): Promise<string> {
    const dir = join(ws.root, `variant-${trial++}`)
    await cp(folders[name], dir, { recursive: true })
    await edit(dir)
    return dir
  }
  const config = (change: Record<string, unknown>) => async (dir: string) => {
    const current = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...current, ...change }))
  }
  const index = (edit: (map: Record<string, string>) => void) => async (dir: string) => {
    const file = join(dir, 'model.safetensors.index.json')
    const json = JSON.parse(await readFile(file, 'utf8'))
    edit(json.weight_map)
    await writeFile(file, JSON.stringify(json))
  }

  it.each([
    ['llama', 'another activation', config({ hidden_act: 'gelu' }), /hidden_act "gelu" is not supported; the MLP here is SwiGLU with SiLU/],
    ['llama', 'rotary scaling', config({ rope_scaling: { rope_type: 'llama3', factor: 32 } }), /rope_scaling \{"rope_type":"llama3","factor":32\} is not supported/],
    ['llama', 'attention biases', config({ attention_bias: true }), /attention_bias true is not supported/],
    ['llama', 'MLP biases', config({ mlp_bias: true }), /mlp_bias true is not supported/],
    ['llama', 'a head_dim that is not hidden / heads', config({ head_dim: 16 }), /head_dim 16 is not supported; the head size here is hidden_size \/ num_attention_heads \(8\)/],
    ['llama', 'key/value heads that do not divide the heads', config({ num_key_value_heads: 3 }), /num_key_value_heads \(3\) must divide num_attention_heads \(4\)/],
    ['llama', 'attention dropout', config({ attention_dropout: 0.1 }), /attention_dropout 0\.1 is not supported/],
    ['llama', 'another family', config({ model_type: 'phi3', architectures: ['Phi3ForCausalLM'] }), /describes a Phi3ForCausalLM model \(model_type "phi3"\); only GPT-2 \(model_type "gpt2"\) and Llama-family/],
    ['llama', 'a shape the weights do not have', config({ intermediate_size: 64 }), /tensor model\.layers\.0\.mlp\.gate_proj\.weight is \[48, 32\], but config\.json's shape needs \[64, 32\]/],
    ['llama', 'a width no memory holds', config({ hidden_size: 8192, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 128, num_hidden_layers: 80, intermediate_size: 28672 }), /GiB/],
    ['llama', 'a tied head the untied weights contradict', config({ tie_word_embeddings: true }), /holds tensors this model does not have: lm_head\.weight|lm_head\.weight differs from the token embedding/],
    ['mistral', 'a sliding window shorter than the context', config({ sliding_window: 16 }), /sliding_window 16 is not supported; it limits attention to 16 positions, shorter than the context \(max_position_embeddings 32\)/],
    ['mistral', 'the default sliding window of a config without one', async (d: string) => {
      const current = JSON.parse(await readFile(join(d, 'config.json'), 'utf8'))
      delete current.sliding_window
      await writeFile(join(d, 'config.json'), JSON.stringify({ ...current, max_position_embeddings: 8192 }))
    }, /sliding_window 4096 is not supported/],
    ['qwen2', 'a sliding window in use', config({ use_sliding_window: true, sliding_window: 8 }), /sliding_window 8 is not supported/],
    ['qwen2', 'an untied head without lm_head.weight', async (d: string) => {
      const json = JSON.parse(await readFile(join(d, 'config.json'), 'utf8'))
      await rm(join(d, 'model.safetensors.index.json'))
      runPython({ write: d, config: json, dtype: 'F32', shards: 1, seed: 3 })
      await writeFile(join(d, 'config.json'), JSON.stringify({ ...json, tie_word_embeddings: false }))
    }, /has no tensor lm_head\.weight \(config\.json says tie_word_embeddings false, so the LM head is its own tensor\)/],
    ['llama', 'byte fallback with a byte-level pre-tokenizer (neither kind of BPE)', async (d: string) => {
      const json = JSON.parse(await readFile(join(d, 'tokenizer.json'), 'utf8'))
      json.model.byte_fallback = true
      await writeFile(join(d, 'tokenizer.json'), JSON.stringify(json))
    }, /pre_tokenizer "Sequence" is not Metaspace/],
    ['tinyllama', 'only SentencePiece’s tokenizer.model', async (d: string) => {
      await rm(join(d, 'tokenizer.json'))
      await writeFile(join(d, 'tokenizer.model'), 'x')
    }, /has no tokenizer\.json, which a llama model's tokenizer is read from \(tokenizer\.model, SentencePiece's own file, is not read/],
    ['llama', 'no tokenizer.json (vocab.json + merges.txt carry no pre-tokenizer)', async (d: string) => {
      await rm(join(d, 'tokenizer.json'))
      await writeFile(join(d, 'vocab.json'), '{}')
      await writeFile(join(d, 'merges.txt'), '')
    }, /has no tokenizer\.json, which a llama model's tokenizer is read from/],
    ['llama', 'q/k/v biases a llama does not have', async (d: string) => {
      const json = JSON.parse(await readFile(join(d, 'config.json'), 'utf8'))
      await rm(join(d, 'model.safetensors'))
      runPython({ write: d, config: { ...json, model_type: 'qwen2' }, dtype: 'F32', shards: 1, seed: 3 })
      await writeFile(join(d, 'config.json'), JSON.stringify(json))
    }, /holds tensors this model does not have \(q\/k\/v biases: config\.json does not describe a model with them\): model\.layers\.0\.self_attn\.q_proj\.bias/],
    ['qwen2', 'a missing shard', async (d: string) => rm(join(d, 'model-00002-of-00003.safetensors')), /places tensors in model-00002-of-00003\.safetensors \(.*\), but .*model-00002-of-00003\.safetensors is missing/],
    ['qwen2', 'a tensor the index places in a shard that does not hold it', index((map) => (map['model.norm.weight'] = 'model-00001-of-00003.safetensors')), /places tensor model\.norm\.weight in model-00001-of-00003\.safetensors, but .* does not hold it/],
    ['qwen2', 'a tensor in no shard', index((map) => {
      for (const key of Object.keys(map)) if (map[key] === 'model-00003-of-00003.safetensors') delete map[key]
    }), /has no tensor model\.|holds tensors this model does not have/],
    ['qwen2', 'a shard path out of the folder', index((map) => (map['model.norm.weight'] = '../model-00003-of-00003.safetensors')), /the shard "\.\.\/model-00003-of-00003\.safetensors", which is not a file name in the folder/],
    ['qwen2', 'an index without weight_map', async (d: string) => writeFile(join(d, 'model.safetensors.index.json'), '{"metadata": {}}'), /weight_map must be an object/],
    ['qwen2', 'no weights at all', async (d: string) => rm(join(d, 'model.safetensors.index.json')), /has no model\.safetensors \(nor model\.safetensors\.index\.json\)/],
  ] as const)('%s: %s', async (name, _what, edit, message) => {
    const dir = await variant(name, edit)
    const error = await importHuggingFace(dir).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message, (error as Error).message).toMatch(message)
  })

  it('refuses a shard, the config or the tokenizer that is a link, and a FIFO shard, reading nothing through them', async () => {
    const outside = join(ws.root, 'outside')
    await mkdir(outside, { recursive: true })
    for (const file of ['model-00001-of-00003.safetensors', 'config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      const dir = await variant('qwen2', async (d) => {
        await cp(join(d, file), join(outside, file))
        await rm(join(d, file))
        await symlink(join(outside, file), join(d, file))
      })
      const error = await importHuggingFace(dir).catch((e: unknown) => e as Error)
      expect(error, file).toBeInstanceOf(Error)
      expect((error as Error).message, file).toMatch(/link/)
    }
    const dir = await variant('qwen2', async (d) => {
      await rm(join(d, 'model-00003-of-00003.safetensors'))
      execFileSync('mkfifo', [join(d, 'model-00003-of-00003.safetensors')])
    })
    await expect(importHuggingFace(dir)).rejects.toThrow(/FIFO|not a regular file|pipe/i)
  })
})

describe('round trip with the Llama export', () => {
  it.each([
    ['Llama 3 tokenizer, untied', { qkvBias: false, tiedEmbeddings: false }, 'llama3'],
    ['Qwen2-style, tied', { qkvBias: true, tiedEmbeddings: true }, 'qwen2'],
  ] as const)('%s: a run exported to a Hugging Face folder imports as the same model, weights, tokenizer and greedy text', async (_name, variant, family) => {
    const trained = await trainedLlama({ ...variant, steps: 20 })
    try {
      const checkpoint = await withFamilyTokenizer(trained.checkpoint, family, trained.ws.root)
      const out = join(trained.ws.root, 'hf')
      await exportHuggingFace(checkpoint, out)
      const stored = await loadCheckpoint(checkpoint)
      const imported = await importHuggingFace(out)
      expect(imported.family).toBe(variant.qkvBias ? 'qwen2' : 'llama')
      expect(imported.model).toEqual(stored.metadata.config.model)
      expect(imported.tokenizer).toBe(stored.metadata.tokenizer)
      expect(imported.params.map((t) => t.name)).toEqual(stored.state.params.map((t) => t.name))
      imported.params.forEach((t, i) => expect(t.data, t.name).toEqual(stored.state.params[i].data))
      const model = await openCheckpointModel(checkpoint)
      try {
        const options = { prompt: 'The old lighthouse', maxTokens: 16, temperature: 0, topK: 0, topP: 1, seed: 1 }
        const fromCheckpoint = await generateText(model.trainer, model.tokenizer, options)
        const fromImport = await withTrainer(imported, imported.model.seqLen, (trainer) =>
          generateText(trainer, BpeTokenizer.parse(imported.tokenizer, 'imported'), options),
        )
        expect(fromImport.tokens.length).toBeGreaterThan(0)
        expect(fromImport.tokens).toEqual(fromCheckpoint.tokens)
      } finally {
        await model.close()
      }
    } finally {
      await trained.ws.cleanup()
    }
  }, 120_000)
})

/** Published config.json files (Hugging Face Hub), as written there. */
const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 0, eos_token_id: 0, hidden_act: 'silu',
  hidden_size: 576, initializer_range: 0.041666666666666664, intermediate_size: 1536, is_llama_config: true, max_position_embeddings: 8192,
  model_type: 'llama', num_attention_heads: 9, num_hidden_layers: 30, num_key_value_heads: 3, pretraining_tp: 1, rms_norm_eps: 1e-5,
  rope_interleaved: false, rope_scaling: null, rope_theta: 100000, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true, vocab_size: 49152,
}
const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151643, hidden_act: 'silu', hidden_size: 896,
  initializer_range: 0.02, intermediate_size: 4864, max_position_embeddings: 32768, max_window_layers: 24, model_type: 'qwen2',
  num_attention_heads: 14, num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0, sliding_window: 32768,
  tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true, use_sliding_window: false, vocab_size: 151936,
}

describe('published configs', () => {
  it('SmolLM2-135M maps onto the llama architecture with its published 134,515,008 parameters', () => {
    const model = llamaShapeFromConfig(SMOLLM2_135M, 'llama', 'config.json')
    expect(model).toEqual({
      architecture: 'llama', vocabSize: 49152, seqLen: 8192, dModel: 576, nLayers: 30, nHeads: 9, nKvHeads: 3, ffnDim: 1536,
      normEps: 1e-5, ropeTheta: 100000, tiedEmbeddings: true, qkvBias: false,
    })
    expect(countParams(model)).toBe(134_515_008)
    expect(() => llamaShapeFromConfig({ ...SMOLLM2_135M, rope_interleaved: true }, 'llama', 'config.json')).toThrow(/rope_interleaved true is not supported/)
  })

  it('Qwen2.5-0.5B (494,032,768 parameters) is refused with the memory it needs', () => {
    expect(() => llamaShapeFromConfig(QWEN25_05B, 'qwen2', 'config.json')).toThrow(
      /a model of this shape has 494,032,768 parameters and needs at least 7\.4 GiB .* more than the 4 GiB one WebAssembly memory addresses/,
    )
  })
})

describe('the run a Llama-family folder starts', () => {
  const smollm2: InitialModel = {
    source: 'SmolLM2-135M',
    model: { architecture: 'llama', vocabSize: 49152, seqLen: 8192, dModel: 576, nLayers: 30, nHeads: 9, nKvHeads: 3, ffnDim: 1536, normEps: 1e-5, ropeTheta: 100000, tiedEmbeddings: true, qkvBias: false },
    tokenizerKind: 'bpe', tokenizer: '', params: [],
  }
  const machine = { cores: 2, totalMemoryBytes: 16e9 }

  it('trains on a window up to the model’s context (--seq-len), and refuses a longer one by name', () => {
    expect(fineTuneConfig({ model: { seqLen: 256 } }, smollm2).model).toMatchObject({ architecture: 'llama', seqLen: 256, numKvHeads: 3, ffnDim: 1536 })
    expect(() => fineTuneConfig({ model: { seqLen: 16384 } }, smollm2)).toThrow(/--seq-len 16384 is longer than the context of the model being fine-tuned \(8192 in SmolLM2-135M\); give at most 8192/)
    expect(() => fineTuneConfig({ model: { embedDim: 512 } }, smollm2)).toThrow(/--embed-dim 512 differs from the model being fine-tuned/)
    expect(() => fineTuneConfig({ model: { architecture: 'gpt2' } }, smollm2)).toThrow(/--arch gpt2 differs from the model being fine-tuned \(llama in SmolLM2-135M\)/)
    expect(() => fineTuneConfig({ model: { numKvHeads: 9 } }, smollm2)).toThrow(/--num-kv-heads 9 differs from the model being fine-tuned \(3 in SmolLM2-135M\)/)
    expect(fineTuneConfig({ model: { architecture: 'llama', numKvHeads: 3, ffnDim: 1536 } }, smollm2).model).toMatchObject({ architecture: 'llama', numKvHeads: 3 })
    const gpt2 = { ...smollm2, source: 'gpt2', model: { vocabSize: 50257, seqLen: 1024, dModel: 768, nLayers: 12, nHeads: 12 } }
    expect(() => fineTuneConfig({ model: { numKvHeads: 4 } }, gpt2)).toThrow(/--num-kv-heads 4 differs from the model being fine-tuned \(gpt2, which has no --num-kv-heads in gpt2\)/)
    expect(fineTuneConfig({ model: { architecture: 'gpt2' } }, gpt2).model).not.toHaveProperty('architecture')
    // A GPT-2 model's learned positions fix its window.
    expect(() => fineTuneConfig({ model: { seqLen: 512 } }, gpt2)).toThrow(/--seq-len 512 differs from the model being fine-tuned \(1024 in gpt2\)/)
  })

  it('keeps the whole context where it fits, else the longest halved window that fits; a window the caller gave is kept or refused', () => {
    const small = { ...smollm2, model: { ...smollm2.model, vocabSize: 300, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48, seqLen: 64 } }
    expect(fineTuneRunConfig(undefined, small, machine).model.seqLen).toBe(64)
    const config = fineTuneRunConfig(undefined, smollm2, machine)
    expect(config.model.seqLen).toBeLessThan(8192)
    expect(8192 % config.model.seqLen).toBe(0)
    // Twice that window does not fit on one sphere with one window.
    expect(() => fineTuneRunConfig({ model: { seqLen: config.model.seqLen * 2 }, training: { threads: 1, batchSize: 1 } }, smollm2, machine)).toThrow()
    expect(() => fineTuneRunConfig({ model: { seqLen: 8192 } }, smollm2, machine)).toThrow(/--seq-len|seqLen/)
  })
})
