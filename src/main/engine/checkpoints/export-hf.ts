/**
 * Export to a Hugging Face folder that `AutoModelForCausalLM.from_pretrained` and
 * `AutoTokenizer.from_pretrained` load: the parameters under the architecture's own class and names
 * (export-formats/: GPT2LMHeadModel, LlamaForCausalLM or Qwen2ForCausalLM), its config, the run's
 * tokenizer.json as it is kept (a family's own pre-tokenizer, BOS rules and added tokens included),
 * tokenizer_config.json with the chat template when the run has one, generation_config.json and a
 * model card. A tied LM head is not written (as `save_pretrained` does; transformers re-ties it on
 * load). No optimizer state is exported.
 */
import { stat } from 'node:fs/promises'
import { ContainedRoot, fsFailure } from '../containment'
import { dirname, resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import { recordedChatTemplate } from '../chat/model-template'
import { writeFileAtomic } from './atomic-write'
import { corruptCheckpoint } from './errors'
import { exportFormatOf } from './export-formats'
import { exportTokens, parseTokenizerJson } from './export-tokens'
import { loadCheckpoint } from './format'
import { modelCard, type RunFacts } from './model-card'
import { safetensorsChunks } from './safetensors'
import { readRunJson } from './store'

export { LAYER_NORM_EPSILON, ACTIVATION_FUNCTION, gpt2Config } from './export-formats/gpt2'
export const END_OF_TEXT = '<|endoftext|>'

export interface ExportedFile {
  name: string
  path: string
  bytes: number
}

export interface ExportResult {
  outDir: string
  files: ExportedFile[]
  /** The transformers class config.json names (GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM). */
  architecture: string
  /** The family's name for people (GPT-2, Llama, Qwen2). */
  family: string
  /** The end-of-sequence id (GPT-2: `<|endoftext|>`, also bos), or null when the tokenizer has none. */
  endOfTextId: number | null
  /** Whether `lm_head.weight` was written: only for an untied head (a tied one is re-tied on load). */
  lmHeadWritten: boolean
}

/** Refuses a tokenizer whose ids do not fit the model's vocabulary. */
function checkTokenIds(json: ReturnType<typeof parseTokenizerJson>, file: string, vocabSize: number): void {
  const vocab = json.model?.vocab ?? {}
  const added = Array.isArray(json.added_tokens) ? json.added_tokens : []
  const ids = [...Object.values(vocab), ...added.map((t) => t.id)].filter(
    (id): id is number => typeof id === 'number',
  )
  const maxId = ids.reduce((max, id) => Math.max(max, id), -1)
  if (maxId >= vocabSize) {
    throw corruptCheckpoint(
      file,
      `its tokenizer has token id ${maxId}, beyond the model's vocabulary of ${vocabSize}`,
    )
  }
}

/** Writes one file of an export under the containment rule; a failure is one sentence naming it. */
export async function writeExportFile(
  root: ContainedRoot,
  name: string,
  chunks: Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
): Promise<string> {
  const path = root.writeTarget('', name, { create: false })
  try {
    await writeFileAtomic(path, chunks)
  } catch (error) {
    throw fsFailure(error, path, 'The export file')
  }
  return path
}

function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

/** The run's name and corpus folder from run.json beside the checkpoint, when there is one. */
async function runFacts(checkpointPath: string): Promise<RunFacts> {
  try {
    const info = await readRunJson(dirname(resolve(checkpointPath)))
    const corpusFolder = (info as { corpusFolder?: unknown }).corpusFolder
    return { name: info.name, corpusFolder: typeof corpusFolder === 'string' ? corpusFolder : undefined }
  } catch {
    return {} // a checkpoint copied out of its run folder: the card says less
  }
}

/**
 * Writes `model.safetensors`, `config.json`, `generation_config.json`, `tokenizer.json`,
 * `tokenizer_config.json`, `special_tokens_map.json` and a model card `README.md` into `outDir`
 * (created if needed; each file replaced atomically).
 * Refuses word-tokenizer checkpoints: Hugging Face's causal LMs need the byte-level BPE tokenizer.
 */
export async function exportHuggingFace(
  checkpointPath: string,
  outDir: string,
): Promise<ExportResult> {
  const { metadata, state } = await loadCheckpoint(checkpointPath)
  const model = metadata.config.model
  const format = exportFormatOf(model)
  if (metadata.tokenizerKind !== 'bpe') {
    throw new UserError(
      'invalid-input',
      `Checkpoint ${checkpointPath} uses the word tokenizer; a Hugging Face ${format.label(model)} export needs the byte-level BPE ` +
        `tokenizer (tokenizer.json). Train with the BPE tokenizer (the default) to export.`,
    )
  }
  const tokenizer = parseTokenizerJson(metadata.tokenizer, checkpointPath)
  checkTokenIds(tokenizer, checkpointPath, model.vocabSize)
  const chat = recordedChatTemplate(metadata.config)
  const tokens = exportTokens(tokenizer, chat)
  const bosId = tokens.bos?.id ?? null
  const eosId = tokens.eos?.id ?? null

  const params = new Map(state.params.map((t) => [t.name, t.data]))
  const tensors = format.hfTensors(model, params)
  const gpt2 = format.hfClass(model) === 'GPT2LMHeadModel'

  const dir = resolve(outDir)
  // The folder is made if missing; a link there (or at any file in it) is refused, never followed.
  const root = ContainedRoot.open(dir, 'The export folder', { create: true })
  const files: Array<{ name: string; chunks: Iterable<Uint8Array | string> }> = [
    // Hugging Face refuses a safetensors file whose metadata does not name its framework.
    { name: 'model.safetensors', chunks: safetensorsChunks(tensors, { format: 'pt' }) },
    { name: 'config.json', chunks: [jsonText(format.hfConfig(model, { bosId, eosId }))] },
    {
      name: 'generation_config.json',
      chunks: [jsonText({ bos_token_id: bosId, eos_token_id: eosId, max_length: model.seqLen })],
    },
    { name: 'tokenizer.json', chunks: [metadata.tokenizer] },
    {
      name: 'tokenizer_config.json',
      chunks: [
        jsonText({
          tokenizer_class: 'PreTrainedTokenizerFast',
          model_max_length: model.seqLen,
          ...(tokens.bos ? { bos_token: tokens.bos.text } : {}),
          ...(tokens.eos ? { eos_token: tokens.eos.text } : {}),
          clean_up_tokenization_spaces: false,
          // A model trained on chat data (or imported with a template) carries it: apply_chat_template works.
          ...(chat ? { chat_template: chat.template } : {}),
        }),
      ],
    },
    {
      name: 'special_tokens_map.json',
      chunks: [
        jsonText({
          ...(tokens.bos ? { bos_token: tokens.bos.text } : {}),
          ...(tokens.eos ? { eos_token: tokens.eos.text } : {}),
          // GPT-2's own map names its one special token for unknown text too.
          ...(gpt2 && tokens.eos ? { unk_token: tokens.eos.text } : {}),
        }),
      ],
    },
    { name: 'README.md', chunks: [modelCard(metadata, tokens.eos, await runFacts(checkpointPath))] },
  ]
  const written: ExportedFile[] = []
  for (const file of files) {
    const path = await writeExportFile(root, file.name, file.chunks)
    written.push({ name: file.name, path, bytes: (await stat(path)).size })
  }
  const lmHeadWritten = tensors.some((t) => t.name === 'lm_head.weight')
  return { outDir: dir, files: written, architecture: format.hfClass(model), family: format.label(model), endOfTextId: eosId, lmHeadWritten }
}
