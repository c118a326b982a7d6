/**
 * Export to one GGUF file that llama.cpp (and so Ollama and LM Studio) runs, written directly rather
 * than through llama.cpp's Python converter (which refuses byte-level BPE tokenizers it has not seen:
 * "BPE pre-tokenizer was not recognized"). The architecture's part — `general.architecture`, its
 * hyper-parameter keys, its tensors under llama.cpp's names (GPT-2: `gpt2`; Llama: `llama` with q/k
 * permuted for NORM rope; with q/k/v biases: `qwen2`) — comes from export-formats/; the tokenizer,
 * the special tokens and the chat template are written here, the same for every family. Beside the
 * file goes an Ollama `Modelfile`.
 */
import { stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import { recordedChatTemplate } from '../chat/model-template'
import { DEFAULT_CHAT_TEMPLATE } from '../chat/template'
import { ollamaNames } from '../../../shared/checkpoint'
import type { ModelConfig } from '../model/trainer'
import { readFamilyShape } from '../tokenizer/family'
import type { PreTokenizerKind } from '../tokenizer/pretokenize'
import type { HfTokenizerFile } from '../tokenizer/bpe'
import { ContainedRoot } from '../containment'
import { writeExportFile } from './export-hf'
import { corruptCheckpoint } from './errors'
import { END_OF_TEXT } from './export-hf'
import { exportFormatOf } from './export-formats'
import { exportTokens, type ExportTokens } from './export-tokens'
import { loadCheckpoint } from './format'
import {
  ggufChunks,
  GGUF_FILE_TYPE,
  GGUF_PRECISIONS,
  type GgufPrecision,
  type GgufTensor,
  type GgufValue,
} from './gguf'

export { GGUF_PRECISIONS, type GgufPrecision } from './gguf'

/** llama.cpp's token types (llama_token_type). */
const TokenType = { NORMAL: 1, CONTROL: 3, UNUSED: 5 } as const

/**
 * llama.cpp's `tokenizer.ggml.pre` for each pre-tokenizer this engine encodes: the same regex (and, for
 * Llama 3, the same `ignore_merges`) in llama.cpp's llama-vocab.cpp.
 */
export const GGUF_PRE_TOKENIZER: Record<PreTokenizerKind, string> = {
  gpt2: 'gpt-2',
  smollm: 'smollm',
  qwen2: 'qwen2',
  llama3: 'llama-bpe',
}

export interface GgufExportResult {
  path: string
  bytes: number
  precision: GgufPrecision
  /** The Ollama Modelfile written beside the GGUF file. */
  modelfile: string
  /** `general.architecture`: gpt2, llama or qwen2. */
  architecture: string
  /** `tokenizer.ggml.pre`. */
  preTokenizer: string
  /** The end-of-sequence id (`tokenizer.ggml.eos_token_id`). */
  endOfTextId: number
  tensorCount: number
}

export interface GgufExportOptions {
  precision?: GgufPrecision
  /** `general.name`; the checkpoint's file name without extension by default. */
  name?: string
}

export interface GgufVocabulary {
  tokens: string[]
  tokenTypes: Int32Array
  merges: string[]
  /** `tokenizer.ggml.pre`. */
  pre: string
  bos: number
  eos: number
  addBos: boolean
}

/**
 * The tokenizer.json as GGUF's `gpt2` (byte-level BPE) tokenizer: one token per model id (byte-level
 * spellings, as llama.cpp expects), added tokens as control tokens (llama.cpp then never finds them in
 * plain text, as this engine does not), padding ids the tokenizer never produces marked unused. The
 * family's pre-tokenizer becomes llama.cpp's `pre`; one llama.cpp would split differently is refused.
 * A normalizer (Qwen2's NFC) is not written: llama.cpp does not normalize, as with every Qwen2 GGUF,
 * so only text already in NFC (nearly all text) is guaranteed to tokenize the same.
 */
export function ggufVocabulary(
  tokenizerJson: string,
  vocabSize: number,
  source: string,
  chat?: { bosToken: string; eosToken: string; template: string },
): GgufVocabulary {
  let file: HfTokenizerFile
  try {
    file = JSON.parse(tokenizerJson) as HfTokenizerFile
  } catch {
    throw corruptCheckpoint(source, 'its tokenizer is not valid tokenizer.json text')
  }
  const refuse = (why: string): UserError =>
    new UserError(
      'invalid-input',
      `${source} has a tokenizer llama.cpp would split differently (${why}); only byte-level BPE with GPT-2's, SmolLM's, Qwen2's or Llama 3's pre-tokenizer can be exported to GGUF.`,
    )
  if (file.model?.type !== 'BPE') throw refuse(`model.type is ${JSON.stringify(file.model?.type ?? null)}, not BPE`)
  // SentencePiece-style BPE is GGUF's `llama` tokenizer (scores, byte tokens), not written here.
  if (file.model.byte_fallback === true)
    throw refuse('model.byte_fallback is true: SentencePiece-style BPE, which this exporter does not write as GGUF yet')
  const shape = readFamilyShape(file, refuse)
  if (shape.kind !== 'byte-level') throw refuse('a SentencePiece-style tokenizer, which this exporter does not write as GGUF yet')
  // llama.cpp ignores merges (takes a word found whole in the vocabulary) exactly for llama-bpe.
  if (shape.ignoreMerges !== (shape.preTokenizer === 'llama3'))
    throw refuse(`model.ignore_merges is ${shape.ignoreMerges} with ${GGUF_PRE_TOKENIZER[shape.preTokenizer]} pre-tokenization, which llama.cpp does not combine`)

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
  const special: ExportTokens = exportTokens(file, chat)
  if (!special.eos || !special.bos) throw corruptCheckpoint(source, `its tokenizer has no end-of-text token (${END_OF_TEXT} or its family's)`)
  const merges = (file.model.merges ?? []).map((merge) =>
    Array.isArray(merge) ? merge.map(String).join(' ') : String(merge),
  )
  return {
    // Ids the tokenizer never produces (a model vocabulary larger than the tokenizer's) still need a
    // distinct text: llama.cpp maps text → id too.
    tokens: Array.from(tokens, (text, id) => text ?? `[PAD${id}]`),
    tokenTypes,
    merges,
    pre: GGUF_PRE_TOKENIZER[shape.preTokenizer],
    bos: special.bos.id,
    eos: special.eos.id,
    addBos: special.addBos,
  }
}

/** The GGUF tensors of a parameter set, under llama.cpp's names for the config's architecture. */
export function ggufTensors(
  model: ModelConfig,
  params: ReadonlyMap<string, Float32Array>,
  precision: GgufPrecision,
): GgufTensor[] {
  return exportFormatOf(model).ggufTensors(model, params, precision)
}

/** The key–value metadata: general, the architecture's hyper-parameters, then the tokenizer. */
export function ggufMetadata(
  model: ModelConfig,
  vocabulary: GgufVocabulary,
  precision: GgufPrecision,
  name: string,
  chatTemplate?: string,
): Array<[string, GgufValue]> {
  const u32 = (value: number): GgufValue => ({ type: 'u32', value })
  const exporter = exportFormatOf(model)
  const chat: Array<[string, GgufValue]> = chatTemplate ? [['tokenizer.chat_template', { type: 'string', value: chatTemplate }]] : []
  return [
    ['general.architecture', { type: 'string', value: exporter.ggufArchitecture(model) }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', u32(GGUF_FILE_TYPE[precision])],
    ['general.quantization_version', u32(2)],
    ['general.alignment', u32(32)],
    ...exporter.ggufHyperparameters(model),
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: vocabulary.pre }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocabulary.tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocabulary.tokenTypes }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: vocabulary.merges }],
    ['tokenizer.ggml.bos_token_id', u32(vocabulary.bos)],
    ['tokenizer.ggml.eos_token_id', u32(vocabulary.eos)],
    // Training here never puts a BOS in front of a text; a family whose tokenizer does (Llama 3) keeps it.
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: vocabulary.addBos }],
    // The Jinja chat template, which llama.cpp, Ollama and LM Studio read to chat with the model.
    ...chat,
  ]
}

/**
 * An Ollama Modelfile: plain completion for a model without a chat template; for the default chat
 * template, the same layout in Ollama's Go template language (other templates: Ollama reads the
 * GGUF's own).
 */
export function ollamaModelfile(
  ggufFile: string,
  contextLength: number,
  chatTemplate?: string,
  stop: string = END_OF_TEXT,
): string {
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
    `PARAMETER stop ${JSON.stringify(stop)}`,
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
  const chat = recordedChatTemplate(metadata.config)
  const vocabulary = ggufVocabulary(metadata.tokenizer, model.vocabSize, checkpointPath, chat)
  const params = new Map(state.params.map((t) => [t.name, t.data]))
  const tensors = ggufTensors(model, params, precision)
  const name = options.name ?? basename(checkpointPath).replace(/\.safetensors$/, '')
  const chatTemplate = chat?.template
  await writeExportFile(root, basename(path), ggufChunks(ggufMetadata(model, vocabulary, precision, name, chatTemplate), tensors))
  const modelfile = await writeExportFile(root, ollamaNames(basename(path)).modelfile, [
    ollamaModelfile(basename(path), model.seqLen, chatTemplate, vocabulary.tokens[vocabulary.eos]),
  ])
  return {
    path,
    bytes: (await stat(path)).size,
    precision,
    modelfile,
    architecture: exportFormatOf(model).ggufArchitecture(model),
    preTokenizer: vocabulary.pre,
    endOfTextId: vocabulary.eos,
    tensorCount: tensors.length,
  }
}
