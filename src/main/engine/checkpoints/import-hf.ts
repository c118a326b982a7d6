/**
 * Reads a Hugging Face folder (what `save_pretrained` writes, or our own export) as a model to start
 * training from, by config.json's `model_type`: GPT-2 here, the Llama family (`llama`, `qwen2`,
 * `mistral`) in import-hf-llama.ts. Weights come from `model.safetensors` or its shards
 * (hf-safetensors.ts), F32, F16 or BF16; the tokenizer from `tokenizer.json` (GPT-2 also from
 * `vocab.json` + `merges.txt`) with the BOS/EOS rule transformers loads (hf-tokenizer-config.ts);
 * the chat template from `tokenizer_config.json`. For GPT-2, Conv1D
 * weights are [in, out] there as here, so tensors are taken as they are (names with or without the
 * `transformer.` prefix). Anything this engine cannot reproduce exactly (another architecture,
 * another activation, an untied GPT-2 head, pickled weights) is refused, naming the file and the field.
 */
import { join } from 'node:path'
import { readHfChatTemplate } from '../chat/model-template'
import type { ChatTemplateSource } from '../chat/template'
import { modelShapeProblem } from '../model/memory-plan'
import type { ModelConfig, NamedTensor } from '../model/trainer'
import { BpeTokenizer, END_OF_TEXT } from '../tokenizer'
import { gpt2ParamLayout } from './gpt2-layout'
import { LAYER_NORM_EPSILON } from './export-hf'
import { ModelFolder, refuse } from './hf-folder'
import { withLoadedPostProcessor } from './hf-tokenizer-config'
import { finiteFloat32, readHfWeights, SHARD_INDEX, SINGLE_FILE, toFloat32, type RawTensor } from './hf-safetensors'
import { isLlamaModelType, llamaParams, llamaShapeFromConfig, type LlamaModelType } from './import-hf-llama'

/** A model to initialise a run from: its shape, tokenizer and parameters (no optimizer state). */
export interface InitialModel {
  /** What it was read from, for messages and run.json. */
  source: string
  model: ModelConfig
  tokenizerKind: 'bpe' | 'word'
  /** The tokenizer's file text (tokenizer.json for bpe). */
  tokenizer: string
  params: NamedTensor[]
  /** The chat template it comes with (a Hugging Face folder's tokenizer_config.json, or a chat run's checkpoint). */
  chat?: ChatTemplateSource
  /** A Hugging Face folder's config.json `model_type` (gpt2, llama, qwen2, mistral), for what is shown. */
  family?: string
}

const ACTIVATIONS = new Set(['gelu_new', 'gelu_pytorch_tanh'])
/** Buffers older GPT-2 files carry beside the parameters (the causal mask); not parameters. */
const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/
const LM_HEAD = 'lm_head.weight'

/** A config.json this engine has no family for, named as its `architectures` or `model_type` say. */
function unknownFamily(config: Record<string, unknown>, file: string): Error {
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : []
  const type = typeof config.model_type === 'string' && config.model_type !== '' ? config.model_type : undefined
  const name = architectures[0] ?? type
  const what =
    name === undefined
      ? 'does not say which model it describes (no "model_type")'
      : `describes ${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name} model${type === undefined ? ' (no "model_type")' : ` (model_type "${type}")`}`
  return refuse(
    `${file} ${what}; only GPT-2 (model_type "gpt2") and Llama-family models (model_type "llama", "qwen2", "mistral") can be fine-tuned here.`,
  )
}

/** The GPT-2 shape from config.json; refuses what our kernels would compute differently. */
export function gpt2ShapeFromConfig(config: Record<string, unknown>, file: string): ModelConfig {
  if (config.model_type !== 'gpt2') throw unknownFamily(config, file)
  const int = (key: string): number => {
    const value = config[key]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
      throw refuse(`${file}: ${key} must be a positive whole number, got ${JSON.stringify(value)}.`)
    return value
  }
  const model: ModelConfig = {
    vocabSize: int('vocab_size'),
    seqLen: int('n_positions'),
    dModel: int('n_embd'),
    nLayers: int('n_layer'),
    nHeads: int('n_head'),
  }
  const activation = config.activation_function ?? 'gelu_new'
  if (typeof activation !== 'string' || !ACTIVATIONS.has(activation))
    throw refuse(`${file}: activation_function "${String(activation)}" is not supported; the kernels compute GELU's tanh approximation (gelu_new).`)
  if (config.n_inner !== undefined && config.n_inner !== null && config.n_inner !== 4 * model.dModel)
    throw refuse(`${file}: n_inner ${String(config.n_inner)} is not supported; the MLP is 4 × n_embd (${4 * model.dModel}) wide.`)
  const epsilon = config.layer_norm_epsilon ?? LAYER_NORM_EPSILON
  if (typeof epsilon !== 'number' || Math.abs(epsilon - LAYER_NORM_EPSILON) > 1e-12)
    throw refuse(`${file}: layer_norm_epsilon ${String(epsilon)} is not supported; the kernels use ${LAYER_NORM_EPSILON}.`)
  if (config.scale_attn_by_inverse_layer_idx === true)
    throw refuse(`${file}: scale_attn_by_inverse_layer_idx is not supported.`)
  if (config.scale_attn_weights === false) throw refuse(`${file}: scale_attn_weights false is not supported.`)
  if (config.tie_word_embeddings === false)
    throw refuse(`${file}: tie_word_embeddings false is not supported; the LM head here is the token embedding.`)
  if (model.dModel % model.nHeads !== 0)
    throw refuse(`${file}: n_head (${model.nHeads}) must divide n_embd (${model.dModel}).`)
  return model
}

/** GPT-2's parameters from a folder's tensors, checked name by name and shape by shape. */
export function gpt2Params(tensors: Map<string, RawTensor>, where: string, model: ModelConfig): NamedTensor[] {
  const byName = new Map<string, RawTensor>()
  let lmHead: RawTensor | undefined
  for (const tensor of tensors.values()) {
    const name = tensor.name.startsWith('transformer.') ? tensor.name.slice('transformer.'.length) : tensor.name
    if (name === LM_HEAD) lmHead = tensor
    else if (!MASK_BUFFER.test(name)) byName.set(name, tensor)
  }
  const layout = gpt2ParamLayout(model)
  const expected = new Set(layout.map((t) => t.name))
  const unknown = [...byName.keys()].filter((name) => !expected.has(name))
  if (unknown.length > 0)
    throw refuse(`${where} holds tensors a GPT-2 model does not have: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}.`)
  const params = layout.map(({ name, shape }) => {
    const tensor = byName.get(name)
    if (!tensor) throw refuse(`${where} has no tensor ${name} (nor transformer.${name}).`)
    if (tensor.shape.join(',') !== shape.join(','))
      throw refuse(`${tensor.file}: tensor ${tensor.name} is [${tensor.shape.join(', ')}], but config.json's shape needs [${shape.join(', ')}].`)
    return { name, shape, data: finiteFloat32(tensor) }
  })
  if (lmHead) {
    // An LM head stored beside the embedding is fine only if it is the embedding (tied).
    const head = toFloat32(lmHead)
    const wte = params[0].data
    if (head.length !== wte.length || head.some((value, i) => value !== wte[i]))
      throw refuse(`${lmHead.file}: lm_head.weight differs from the token embedding; only models with a tied LM head can be fine-tuned here.`)
  }
  return params
}

/** tokenizer.json text from GPT-2's older pair of files, `<|endoftext|>` marked special. */
export function tokenizerJsonFromVocabAndMerges(vocab: Record<string, unknown>, mergesText: string): string {
  const merges = mergesText
    .split(/\r?\n/)
    .filter((line) => line.length > 0 && !line.startsWith('#version'))
  const endOfText = vocab[END_OF_TEXT]
  return JSON.stringify({
    version: '1.0',
    added_tokens:
      typeof endOfText === 'number'
        ? [{ id: endOfText, content: END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }]
        : [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  })
}

async function readTokenizer(folder: ModelFolder, family: 'gpt2' | LlamaModelType): Promise<{ text: string; file: string }> {
  if (await folder.has('tokenizer.json')) return { text: await folder.readText('tokenizer.json'), file: folder.path('tokenizer.json') }
  // vocab.json + merges.txt carry no pre-tokenizer: only GPT-2's is implied by them.
  if (family === 'gpt2' && (await folder.has('vocab.json')) && (await folder.has('merges.txt'))) {
    const vocab = await folder.readJson('vocab.json')
    return { text: tokenizerJsonFromVocabAndMerges(vocab, await folder.readText('merges.txt')), file: folder.path('vocab.json') }
  }
  if (family === 'gpt2') throw refuse(`${folder.root.path} has no tokenizer: it needs tokenizer.json, or vocab.json and merges.txt.`)
  // Older Llama 2 folders carry only SentencePiece's own tokenizer.model; transformers converts it to tokenizer.json.
  const sentencePiece = (await folder.has('tokenizer.model'))
    ? ' (tokenizer.model, SentencePiece\'s own file, is not read: save the tokenizer with transformers to get tokenizer.json)'
    : ''
  throw refuse(`${folder.root.path} has no tokenizer.json, which a ${family} model's tokenizer is read from${sentencePiece}.`)
}

/** Where a folder's weights are, for messages about the whole set. */
async function weightsName(folder: ModelFolder): Promise<string> {
  return folder.path((await folder.has(SINGLE_FILE)) ? SINGLE_FILE : SHARD_INDEX)
}

/** Reads a Hugging Face GPT-2 or Llama-family folder; refuses, naming the file, what it cannot use. */
export async function importHuggingFace(folder: string): Promise<InitialModel> {
  const files = ModelFolder.open(folder)
  const dir = files.root.path
  const configFile = join(dir, 'config.json')
  if (!(await files.has('config.json'))) throw refuse(`${dir} has no config.json, so it is not a Hugging Face model folder.`)
  const config = await files.readJson('config.json')
  const type = config.model_type
  let family: 'gpt2' | LlamaModelType
  let model: ModelConfig
  if (type === 'gpt2') {
    family = 'gpt2'
    model = gpt2ShapeFromConfig(config, configFile)
    // Plan before building: a shape no memory holds is refused before a byte of weights is read.
    const shapeProblem = modelShapeProblem(model)
    if (shapeProblem) throw refuse(`${configFile}: ${shapeProblem}.`)
  } else if (isLlamaModelType(type)) {
    family = type
    model = llamaShapeFromConfig(config, type, configFile)
  } else {
    throw unknownFamily(config, configFile)
  }

  // The tokenizer before the weights: a refused tokenizer is said before a byte of weights is read.
  const { text, file } = await readTokenizer(files, family)
  // Read through the folder, so a link or FIFO there is refused as every other file is.
  const tokenizerConfig = (await files.has('tokenizer_config.json')) ? await files.readJson('tokenizer_config.json') : undefined
  const tokenizer = BpeTokenizer.parse(withLoadedPostProcessor(text, tokenizerConfig, files.path('tokenizer_config.json')), file)
  if (tokenizer.vocabSize !== model.vocabSize) {
    const padded = tokenizer.vocabSize < model.vocabSize ? ' (an embedding padded past the tokenizer, as in Qwen2.5, is not supported)' : ''
    throw refuse(`${file} has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${model.vocabSize}; they must match${padded}.`)
  }

  const tensors = await readHfWeights(files)
  const where = await weightsName(files)
  const params = family === 'gpt2' ? gpt2Params(tensors, where, model) : llamaParams(tensors, model, where)

  const chat = await readHfChatTemplate(dir)
  return { source: dir, model, tokenizerKind: 'bpe', tokenizer: tokenizer.serialize(), params, family, ...(chat ? { chat } : {}) }
}
