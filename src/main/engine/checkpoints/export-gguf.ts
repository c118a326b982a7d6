/**
 * Export to one GGUF file that llama.cpp (and so Ollama and LM Studio) runs as its `gpt2`
 * architecture, written directly rather than through llama.cpp's Python converter (which refuses
 * byte-level BPE tokenizers it has not seen: "BPE pre-tokenizer was not recognized").
 *
 * Tensor names and shapes follow llama.cpp's GPT-2 loader: token_embd, position_embd, per block
 * attn_norm, attn_qkv, attn_output, ffn_norm, ffn_up, ffn_down (weights and biases), output_norm.
 * There is no `output` tensor: llama.cpp ties the LM head to token_embd when it is absent, as ours
 * is. Our linear weights are Conv1D [in, out]; ggml wants a row per output ([out, in] row-major,
 * dims [in, out]), so they are transposed. LayerNorm weights and all biases stay F32 whatever the
 * precision (ggml adds and normalises in F32). Beside the file goes an Ollama `Modelfile`.
 */
import { stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import { recordedChatTemplate } from '../chat/model-template'
import { DEFAULT_CHAT_TEMPLATE } from '../chat/template'
import { ollamaNames } from '../../../shared/checkpoint'
import type { ModelConfig } from '../model/trainer'
import { ContainedRoot } from '../containment'
import { writeExportFile } from './export-hf'
import { corruptCheckpoint } from './errors'
import { END_OF_TEXT, LAYER_NORM_EPSILON } from './export-hf'
import { loadCheckpoint } from './format'
import { ggufChunks, GgmlType, Q8_0_BLOCK, type GgmlTypeId, type GgufTensor, type GgufValue } from './gguf'

export const GGUF_PRECISIONS = ['f32', 'f16', 'q8_0'] as const
export type GgufPrecision = (typeof GGUF_PRECISIONS)[number]

/** llama.cpp's `general.file_type` (llama_ftype) for each precision. */
const FILE_TYPE: Record<GgufPrecision, number> = { f32: 0, f16: 1, q8_0: 7 }

/** llama.cpp's token types (llama_token_type). */
const TokenType = { NORMAL: 1, CONTROL: 3, UNUSED: 5 } as const

export interface GgufExportResult {
  path: string
  bytes: number
  precision: GgufPrecision
  /** The Ollama Modelfile written beside the GGUF file. */
  modelfile: string
  endOfTextId: number
  tensorCount: number
}

export interface GgufExportOptions {
  precision?: GgufPrecision
  /** `general.name`; the checkpoint's file name without extension by default. */
  name?: string
}

interface HfTokenizerFile {
  model?: { type?: unknown; vocab?: Record<string, unknown>; merges?: unknown[] }
  pre_tokenizer?: { type?: unknown; add_prefix_space?: unknown; use_regex?: unknown } | null
  normalizer?: unknown
  added_tokens?: Array<{ id?: unknown; content?: unknown }>
}

export interface GgufVocabulary {
  tokens: string[]
  tokenTypes: Int32Array
  merges: string[]
  endOfTextId: number
}

/**
 * The tokenizer.json as GGUF's `gpt2` tokenizer: one token per model id (byte-level spellings, as
 * llama.cpp expects for BPE), padding ids the tokenizer never produces marked unused. Only GPT-2's
 * own pre-tokenization (ByteLevel with its regex, no prefix space, no normalizer) is declared as
 * `pre = "gpt-2"`; anything else is refused, since llama.cpp would split text differently.
 */
export function ggufVocabulary(tokenizerJson: string, vocabSize: number, source: string): GgufVocabulary {
  let file: HfTokenizerFile
  try {
    file = JSON.parse(tokenizerJson) as HfTokenizerFile
  } catch {
    throw corruptCheckpoint(source, 'its tokenizer is not valid tokenizer.json text')
  }
  const pre = file.pre_tokenizer
  const gpt2Pre =
    pre?.type === 'ByteLevel' && pre.add_prefix_space !== true && pre.use_regex !== false && !file.normalizer
  if (file.model?.type !== 'BPE' || !gpt2Pre) {
    throw new UserError(
      'invalid-input',
      `${source} has a tokenizer whose pre-tokenization is not GPT-2's byte-level one, so llama.cpp would split text differently; only GPT-2-style byte-level BPE tokenizers can be exported to GGUF.`,
    )
  }
  const tokens = new Array<string | undefined>(vocabSize)
  const tokenTypes = new Int32Array(vocabSize).fill(TokenType.UNUSED)
  const place = (id: unknown, text: string, type: number): void => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw corruptCheckpoint(source, `its tokenizer has token id ${String(id)} outside the model's vocabulary of ${vocabSize}`)
    tokens[id] = text
    tokenTypes[id] = type
  }
  for (const [spelling, id] of Object.entries(file.model.vocab ?? {})) place(id, spelling, TokenType.NORMAL)
  for (const added of file.added_tokens ?? [])
    if (typeof added.content === 'string') place(added.id, added.content, TokenType.CONTROL)
  const endOfTextId = tokens.indexOf(END_OF_TEXT)
  if (endOfTextId < 0) throw corruptCheckpoint(source, `its tokenizer has no ${END_OF_TEXT} token`)
  const merges = (file.model.merges ?? []).map((merge) =>
    Array.isArray(merge) ? merge.map(String).join(' ') : String(merge),
  )
  return {
    // Ids the tokenizer never produces (a model vocabulary larger than the tokenizer's) still need a
    // distinct text: llama.cpp maps text → id too.
    tokens: Array.from(tokens, (text, id) => text ?? `[PAD${id}]`),
    tokenTypes,
    merges,
    endOfTextId,
  }
}

function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c]
  }
  return out
}

/** A matrix's ggml type at a precision: Q8_0 only where rows split into whole blocks, else F16. */
function matrixType(precision: GgufPrecision, rowLength: number): GgmlTypeId {
  if (precision === 'f32') return GgmlType.F32
  if (precision === 'q8_0' && rowLength % Q8_0_BLOCK === 0) return GgmlType.Q8_0
  return GgmlType.F16
}

/** The GGUF tensors of a GPT-2 parameter set (names without the `transformer.` prefix). */
export function ggufTensors(
  model: ModelConfig,
  params: ReadonlyMap<string, Float32Array>,
  precision: GgufPrecision,
): GgufTensor[] {
  const D = model.dModel
  const get = (name: string): Float32Array => {
    const data = params.get(name)
    if (!data) throw new Error(`missing parameter ${name}`)
    return data
  }
  const vector = (name: string, from: string): GgufTensor => ({
    name,
    dims: [get(from).length],
    type: GgmlType.F32,
    data: get(from),
  })
  /** A Conv1D weight [in, out] as a ggml matrix of `out` rows of `in` values. */
  const linear = (name: string, from: string, inputs: number, outputs: number): GgufTensor => ({
    name,
    dims: [inputs, outputs],
    type: matrixType(precision, inputs),
    data: () => transpose(get(from), inputs, outputs),
  })
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [D, model.vocabSize], type: matrixType(precision, D), data: get('wte.weight') },
    // Position rows are added in F32 after a lookup; F16 keeps them small and exact enough.
    { name: 'position_embd.weight', dims: [D, model.seqLen], type: precision === 'f32' ? GgmlType.F32 : GgmlType.F16, data: get('wpe.weight') },
  ]
  for (let layer = 0; layer < model.nLayers; layer++) {
    const h = `h.${layer}.`
    const blk = `blk.${layer}.`
    tensors.push(
      vector(`${blk}attn_norm.weight`, `${h}ln_1.weight`),
      vector(`${blk}attn_norm.bias`, `${h}ln_1.bias`),
      linear(`${blk}attn_qkv.weight`, `${h}attn.c_attn.weight`, D, 3 * D),
      vector(`${blk}attn_qkv.bias`, `${h}attn.c_attn.bias`),
      linear(`${blk}attn_output.weight`, `${h}attn.c_proj.weight`, D, D),
      vector(`${blk}attn_output.bias`, `${h}attn.c_proj.bias`),
      vector(`${blk}ffn_norm.weight`, `${h}ln_2.weight`),
      vector(`${blk}ffn_norm.bias`, `${h}ln_2.bias`),
      linear(`${blk}ffn_up.weight`, `${h}mlp.c_fc.weight`, D, 4 * D),
      vector(`${blk}ffn_up.bias`, `${h}mlp.c_fc.bias`),
      linear(`${blk}ffn_down.weight`, `${h}mlp.c_proj.weight`, 4 * D, D),
      vector(`${blk}ffn_down.bias`, `${h}mlp.c_proj.bias`),
    )
  }
  tensors.push(vector('output_norm.weight', 'ln_f.weight'), vector('output_norm.bias', 'ln_f.bias'))
  return tensors
}

/** The key–value metadata: architecture hyper-parameters, then the tokenizer. */
export function ggufMetadata(
  model: ModelConfig,
  vocabulary: GgufVocabulary,
  precision: GgufPrecision,
  name: string,
  chatTemplate?: string,
): Array<[string, GgufValue]> {
  const u32 = (value: number): GgufValue => ({ type: 'u32', value })
  const chat: Array<[string, GgufValue]> = chatTemplate ? [['tokenizer.chat_template', { type: 'string', value: chatTemplate }]] : []
  return [
    ['general.architecture', { type: 'string', value: 'gpt2' }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', u32(FILE_TYPE[precision])],
    ['general.quantization_version', u32(2)],
    ['general.alignment', u32(32)],
    ['gpt2.context_length', u32(model.seqLen)],
    ['gpt2.embedding_length', u32(model.dModel)],
    ['gpt2.block_count', u32(model.nLayers)],
    ['gpt2.feed_forward_length', u32(4 * model.dModel)],
    ['gpt2.attention.head_count', u32(model.nHeads)],
    ['gpt2.attention.layer_norm_epsilon', { type: 'f32', value: LAYER_NORM_EPSILON }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'gpt-2' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocabulary.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocabulary.tokenTypes }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: vocabulary.merges }],
    ['tokenizer.ggml.bos_token_id', u32(vocabulary.endOfTextId)],
    ['tokenizer.ggml.eos_token_id', u32(vocabulary.endOfTextId)],
    // Training never put <|endoftext|> in front of a prompt's first token, so neither should llama.cpp.
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    // The Jinja chat template, which llama.cpp, Ollama and LM Studio read to chat with the model.
    ...chat,
  ]
}

/**
 * An Ollama Modelfile: plain completion for a model without a chat template; for the default chat
 * template, the same layout in Ollama's Go template language (other templates: Ollama reads the
 * GGUF's own).
 */
export function ollamaModelfile(ggufFile: string, contextLength: number, chatTemplate?: string): string {
  const { modelfile, model } = ollamaNames(ggufFile)
  const template =
    chatTemplate === undefined
      ? ['TEMPLATE """{{ .Prompt }}"""']
      : chatTemplate === DEFAULT_CHAT_TEMPLATE
        ? [`TEMPLATE """{{- range .Messages }}<|{{ .Role }}|>\n{{ .Content }}${END_OF_TEXT}\n{{ end }}<|assistant|>\n"""`]
        : []
  return [
    `# Ollama: ollama create ${model} -f ${modelfile} && ollama run ${model} ${chatTemplate === undefined ? '"Once upon a time"' : '"Hello"'}`,
    `FROM ./${ggufFile}`,
    ...template,
    `PARAMETER num_ctx ${contextLength}`,
    `PARAMETER stop "${END_OF_TEXT}"`,
    '',
  ].join('\n')
}

/**
 * Writes `outPath` (a .gguf file, replaced atomically) and `<name>.Modelfile` beside it (named after
 * the .gguf file, so another export into the same folder does not replace it).
 * Refuses word-tokenizer checkpoints: GGUF has no word-level tokenizer llama.cpp could run.
 */
export async function exportGguf(
  checkpointPath: string,
  outPath: string,
  options: GgufExportOptions = {},
): Promise<GgufExportResult> {
  const precision = options.precision ?? 'f32'
  if (!GGUF_PRECISIONS.includes(precision)) {
    throw new UserError('invalid-input', `Unknown GGUF precision "${String(precision)}": use ${GGUF_PRECISIONS.join(', ')}.`)
  }
  const path = resolve(outPath)
  const existing = await stat(path).catch(() => undefined)
  if (existing?.isDirectory())
    throw new UserError('invalid-input', `${path} is a folder; give the GGUF file to write, e.g. ${join(path, 'model.gguf')}.`)
  const folder = await stat(dirname(path)).catch(() => undefined)
  if (!folder?.isDirectory())
    throw new UserError('not-found', `The folder ${dirname(path)} does not exist; create it first or choose another output path.`)
  // The file and the Modelfile go only into that folder opened under the containment rule.
  const root = ContainedRoot.open(dirname(path), 'The export folder')
  root.writeTarget('', basename(path), { create: false })

  const { metadata, state } = await loadCheckpoint(checkpointPath)
  if (metadata.tokenizerKind !== 'bpe') {
    throw new UserError(
      'invalid-input',
      `Checkpoint ${checkpointPath} uses the word tokenizer, which GGUF cannot express (llama.cpp only runs subword tokenizers); train with the BPE tokenizer (the default) to export to GGUF.`,
    )
  }
  const model = metadata.config.model
  if (model.architecture === 'llama') {
    throw new UserError(
      'invalid-input',
      `Checkpoint ${checkpointPath} is a Llama model; this build writes GGUF for GPT-2 runs only (Llama export is not built yet).`,
    )
  }
  const vocabulary = ggufVocabulary(metadata.tokenizer, model.vocabSize, checkpointPath)
  const params = new Map(state.params.map((t) => [t.name, t.data]))
  const tensors = ggufTensors(model, params, precision)
  const name = options.name ?? basename(checkpointPath).replace(/\.safetensors$/, '')
  const chatTemplate = recordedChatTemplate(metadata.config)?.template
  await writeExportFile(root, basename(path), ggufChunks(ggufMetadata(model, vocabulary, precision, name, chatTemplate), tensors))
  const modelfile = await writeExportFile(root, ollamaNames(basename(path)).modelfile, [
    ollamaModelfile(basename(path), model.seqLen, chatTemplate),
  ])
  return {
    path,
    bytes: (await stat(path)).size,
    precision,
    modelfile,
    endOfTextId: vocabulary.endOfTextId,
    tensorCount: tensors.length,
  }
}
