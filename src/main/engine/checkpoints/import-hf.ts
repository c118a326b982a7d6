/**
 * Reads a Hugging Face GPT-2 folder (what `save_pretrained` writes, or our own export) as a model to
 * start training from: `config.json` (GPT-2 only), `model.safetensors` (names with or without the
 * `transformer.` prefix; F32, F16 or BF16), and the tokenizer from `tokenizer.json` or from
 * `vocab.json` + `merges.txt`. Conv1D weights are [in, out] there as here, so tensors are taken as
 * they are. Anything this engine cannot reproduce exactly (another architecture, another activation,
 * an untied LM head, pickled weights, sharded files) is refused, naming the file and the field.
 */
import { lstat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import { readHfChatTemplate } from '../chat/model-template'
import type { ChatTemplateSource } from '../chat/template'
import { ContainedRoot, readOpenedFile } from '../containment'
import { modelShapeProblem } from '../model/memory-plan'
import type { ModelConfig, NamedTensor } from '../model/trainer'
import { BpeTokenizer, END_OF_TEXT } from '../tokenizer'
import { fromHalf } from './gguf'
import { gpt2ParamLayout } from './gpt2-layout'
import { LAYER_NORM_EPSILON } from './export-hf'

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
}

const ACTIVATIONS = new Set(['gelu_new', 'gelu_pytorch_tanh'])
/** Buffers older GPT-2 files carry beside the parameters (the causal mask); not parameters. */
const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/
const LM_HEAD = 'lm_head.weight'

function refuse(message: string): UserError {
  return new UserError('invalid-input', message)
}

/**
 * The model folder under the containment rule: a name counts when something is there (a link
 * included, so it is refused when read rather than passed over), and every file is read through
 * `ContainedRoot.openFile`, which refuses links, FIFOs and devices before reading.
 */
class ModelFolder {
  constructor(readonly root: ContainedRoot) {}

  async has(name: string): Promise<boolean> {
    return lstat(join(this.root.path, name)).then(
      (s) => !s.isDirectory(),
      () => false,
    )
  }

  async read(name: string): Promise<Buffer> {
    return readOpenedFile(this.root.openFile(name), { what: 'The file' })
  }

  async readText(name: string): Promise<string> {
    return (await this.read(name)).toString('utf8')
  }

  path(name: string): string {
    return join(this.root.path, name)
  }
}

async function readJson(folder: ModelFolder, name: string): Promise<Record<string, unknown>> {
  const path = folder.path(name)
  const text = await folder.readText(name)
  try {
    const value = JSON.parse(text) as unknown
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // refused below
  }
  throw refuse(`${path} is not a JSON object.`)
}

/** The GPT-2 shape from config.json; refuses what our kernels would compute differently. */
export function gpt2ShapeFromConfig(config: Record<string, unknown>, file: string): ModelConfig {
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : []
  if (config.model_type !== 'gpt2') {
    const type = typeof config.model_type === 'string' && config.model_type !== '' ? config.model_type : undefined
    const name = architectures[0] ?? type
    const what =
      name === undefined
        ? 'does not say which model it describes (no "model_type")'
        : `describes ${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name} model${type === undefined ? ' (no "model_type")' : ` (model_type "${type}")`}`
    throw refuse(`${file} ${what}; only GPT-2 models (model_type "gpt2") can be fine-tuned here.`)
  }
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

interface RawTensor {
  name: string
  dtype: string
  shape: number[]
  bytes: Uint8Array
}

/** The tensors of a safetensors file, any dtype we can widen to F32; bounds checked against the file. */
function parseSafetensors(bytes: Buffer, file: string): RawTensor[] {
  const damaged = (why: string): UserError => refuse(`${file} is not a readable safetensors file: ${why}.`)
  if (bytes.length < 8) throw damaged('it is shorter than its 8-byte header length')
  const headerLength = Number(bytes.readBigUInt64LE(0))
  if (headerLength < 2 || 8 + headerLength > bytes.length) throw damaged('its header length is beyond the file')
  let header: Record<string, unknown>
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>
  } catch {
    throw damaged('its header is not JSON')
  }
  const dataStart = 8 + headerLength
  const tensors: RawTensor[] = []
  const places: Array<{ name: string; begin: number; end: number }> = []
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>
    if (
      typeof dtype !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2
    )
      throw damaged(`the entry of tensor "${name}" is malformed`)
    const [begin, end] = offsets as number[]
    if (!(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && begin >= 0 && end >= begin && dataStart + end <= bytes.length))
      throw damaged(`tensor "${name}" lies outside the file`)
    tensors.push({ name, dtype, shape: shape as number[], bytes: bytes.subarray(dataStart + begin, dataStart + end) })
    places.push({ name, begin, end })
  }
  // Two tensors sharing bytes would load as each other's weights: refused, as safetensors does.
  places.sort((a, b) => a.begin - b.begin || a.end - b.end)
  for (let i = 1; i < places.length; i++) {
    if (places[i].begin < places[i - 1].end)
      throw damaged(`tensors "${places[i - 1].name}" and "${places[i].name}" overlap (data_offsets)`)
  }
  return tensors
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 }

function toFloat32(tensor: RawTensor, file: string): Float32Array {
  const width = DTYPE_BYTES[tensor.dtype]
  if (width === undefined)
    throw refuse(`${file}: tensor "${tensor.name}" has dtype ${tensor.dtype}; only F32, F16 and BF16 weights can be read.`)
  const count = tensor.shape.reduce((a, b) => a * b, 1)
  if (tensor.bytes.length !== count * width)
    throw refuse(`${file} is not a readable safetensors file: tensor "${tensor.name}" has ${tensor.bytes.length} bytes for ${count} ${tensor.dtype} values.`)
  const out = new Float32Array(count)
  const view = new DataView(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength)
  if (tensor.dtype === 'F32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true)
  else if (tensor.dtype === 'F16') for (let i = 0; i < count; i++) out[i] = fromHalf(view.getUint16(2 * i, true))
  else {
    const bits = new Uint32Array(out.buffer)
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16
  }
  return out
}

/** GPT-2's parameters from a safetensors file, checked name by name and shape by shape. */
export function gpt2Params(bytes: Buffer, file: string, model: ModelConfig): NamedTensor[] {
  const byName = new Map<string, RawTensor>()
  let lmHead: RawTensor | undefined
  for (const tensor of parseSafetensors(bytes, file)) {
    const name = tensor.name.startsWith('transformer.') ? tensor.name.slice('transformer.'.length) : tensor.name
    if (name === LM_HEAD) lmHead = tensor
    else if (!MASK_BUFFER.test(name)) byName.set(name, tensor)
  }
  const layout = gpt2ParamLayout(model)
  const expected = new Set(layout.map((t) => t.name))
  const unknown = [...byName.keys()].filter((name) => !expected.has(name))
  if (unknown.length > 0)
    throw refuse(`${file} holds tensors a GPT-2 model does not have: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}.`)
  const params = layout.map(({ name, shape }) => {
    const tensor = byName.get(name)
    if (!tensor) throw refuse(`${file} has no tensor ${name} (nor transformer.${name}).`)
    if (tensor.shape.join(',') !== shape.join(','))
      throw refuse(`${file}: tensor ${tensor.name} is [${tensor.shape.join(', ')}], but config.json's shape needs [${shape.join(', ')}].`)
    const data = toFloat32(tensor, file)
    const bad = data.findIndex((value) => !Number.isFinite(value))
    if (bad !== -1)
      throw refuse(`${file}: tensor ${tensor.name} holds ${String(data[bad])} at index ${bad}; weights must be finite numbers.`)
    return { name, shape, data }
  })
  if (lmHead) {
    // An LM head stored beside the embedding is fine only if it is the embedding (tied).
    const head = toFloat32(lmHead, file)
    const wte = params[0].data
    if (head.length !== wte.length || head.some((value, i) => value !== wte[i]))
      throw refuse(`${file}: lm_head.weight differs from the token embedding; only models with a tied LM head can be fine-tuned here.`)
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

async function readTokenizer(folder: ModelFolder): Promise<{ text: string; file: string }> {
  if (await folder.has('tokenizer.json')) return { text: await folder.readText('tokenizer.json'), file: folder.path('tokenizer.json') }
  if ((await folder.has('vocab.json')) && (await folder.has('merges.txt'))) {
    const vocab = await readJson(folder, 'vocab.json')
    return { text: tokenizerJsonFromVocabAndMerges(vocab, await folder.readText('merges.txt')), file: folder.path('vocab.json') }
  }
  throw refuse(`${folder.root.path} has no tokenizer: it needs tokenizer.json, or vocab.json and merges.txt.`)
}

/** Reads a Hugging Face GPT-2 folder; refuses, naming the file, what it cannot use. */
export async function importHuggingFace(folder: string): Promise<InitialModel> {
  const dir = resolve(folder)
  let root: ContainedRoot
  try {
    root = ContainedRoot.open(dir, 'The model folder')
  } catch (error) {
    if (error instanceof UserError && error.code === 'forbidden') throw error
    throw new UserError('not-found', `${dir} is not a folder holding a Hugging Face model.`)
  }
  const files = new ModelFolder(root)
  const configFile = join(dir, 'config.json')
  if (!(await files.has('config.json'))) throw refuse(`${dir} has no config.json, so it is not a Hugging Face model folder.`)
  const model = gpt2ShapeFromConfig(await readJson(files, 'config.json'), configFile)
  // Plan before building: a shape no memory holds is refused before a byte of weights is read.
  const shapeProblem = modelShapeProblem(model)
  if (shapeProblem) throw refuse(`${configFile}: ${shapeProblem}.`)

  const weightsFile = join(dir, 'model.safetensors')
  if (!(await files.has('model.safetensors'))) {
    if (await files.has('model.safetensors.index.json'))
      throw refuse(`${dir} holds sharded weights (model.safetensors.index.json); only a single model.safetensors can be read.`)
    if (await files.has('pytorch_model.bin'))
      throw refuse(`${dir} holds pytorch_model.bin (a Python pickle, which is never loaded here); save the model with safe_serialization=True to get model.safetensors.`)
    throw refuse(`${dir} has no model.safetensors.`)
  }
  const params = gpt2Params(await files.read('model.safetensors'), weightsFile, model)

  const { text, file } = await readTokenizer(files)
  const tokenizer = BpeTokenizer.parse(text, file)
  if (tokenizer.vocabSize !== model.vocabSize)
    throw refuse(`${file} has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${model.vocabSize}; they must match.`)
  const chat = await readHfChatTemplate(dir)
  return { source: dir, model, tokenizerKind: 'bpe', tokenizer: tokenizer.serialize(), params, ...(chat ? { chat } : {}) }
}
