/**
 * Export to a Hugging Face GPT-2 folder that `GPT2LMHeadModel.from_pretrained` and
 * `AutoTokenizer.from_pretrained` load: the parameters under `transformer.*` names in Conv1D
 * [in, out] layout (already ours), a GPT2Config, and the tokenizer. As `save_pretrained` does,
 * `lm_head.weight` is left out: it is tied to `transformer.wte.weight` (tie_word_embeddings) and
 * Hugging Face re-ties it on load. No optimizer state is exported.
 */
import { stat } from 'node:fs/promises'
import { ContainedRoot, fsFailure } from '../containment'
import { dirname, resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import { recordedChatTemplate } from '../chat/model-template'
import type { ModelConfig } from '../model/trainer'
import { writeFileAtomic } from './atomic-write'
import { corruptCheckpoint } from './errors'
import { loadCheckpoint } from './format'
import { gpt2ParamLayout } from './gpt2-layout'
import { modelCard, type RunFacts } from './model-card'
import { safetensorsChunks, type Tensor } from './safetensors'
import { readRunJson } from './store'

/** The kernels' LayerNorm epsilon and GELU (tanh approximation = Hugging Face's "gelu_new"). */
export const LAYER_NORM_EPSILON = 1e-5
export const ACTIVATION_FUNCTION = 'gelu_new'
export const END_OF_TEXT = '<|endoftext|>'
const HF_PREFIX = 'transformer.'

export interface ExportedFile {
  name: string
  path: string
  bytes: number
}

export interface ExportResult {
  outDir: string
  files: ExportedFile[]
  /** Id of `<|endoftext|>` (bos and eos), or null when the tokenizer has none. */
  endOfTextId: number | null
  /** Always false: the tied LM head is not written (see the module comment). */
  lmHeadWritten: false
}

/** The GPT2Config Hugging Face needs to rebuild exactly this network. */
export function gpt2Config(
  model: ModelConfig,
  endOfTextId: number | null,
): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: model.vocabSize,
    n_positions: model.seqLen,
    n_ctx: model.seqLen,
    n_embd: model.dModel,
    n_layer: model.nLayers,
    n_head: model.nHeads,
    n_inner: null,
    activation_function: ACTIVATION_FUNCTION,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    layer_norm_epsilon: LAYER_NORM_EPSILON,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    use_cache: true,
    bos_token_id: endOfTextId,
    eos_token_id: endOfTextId,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  }
}

interface TokenizerJson {
  model?: { vocab?: Record<string, number> }
  added_tokens?: Array<{ id?: unknown; content?: unknown }>
}

/** `<|endoftext|>`'s id; refuses a tokenizer whose ids do not fit the model's vocabulary. */
function inspectTokenizer(
  text: string,
  file: string,
  vocabSize: number,
): { endOfTextId: number | null } {
  let json: TokenizerJson
  try {
    json = JSON.parse(text) as TokenizerJson
  } catch {
    throw corruptCheckpoint(file, 'its tokenizer is not valid tokenizer.json text')
  }
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
  const special = added.find((t) => t.content === END_OF_TEXT)
  const id = typeof special?.id === 'number' ? special.id : vocab[END_OF_TEXT]
  return { endOfTextId: typeof id === 'number' ? id : null }
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

/** The chat template a chat run recorded, as tokenizer_config.json's `chat_template`. */
function chatTemplateField(config: unknown): { chat_template?: string } {
  const chat = recordedChatTemplate(config)
  return chat ? { chat_template: chat.template } : {}
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
 * Refuses word-tokenizer checkpoints: GPT-2 on Hugging Face needs the byte-level BPE tokenizer.
 */
export async function exportHuggingFace(
  checkpointPath: string,
  outDir: string,
): Promise<ExportResult> {
  const { metadata, state } = await loadCheckpoint(checkpointPath)
  if (metadata.tokenizerKind !== 'bpe') {
    throw new UserError(
      'invalid-input',
      `Checkpoint ${checkpointPath} uses the word tokenizer; a Hugging Face GPT-2 export needs the byte-level BPE ` +
        `tokenizer (tokenizer.json). Train with the BPE tokenizer (the default) to export.`,
    )
  }
  const model = metadata.config.model
  if (model.architecture === 'llama') {
    throw new UserError(
      'invalid-input',
      `Checkpoint ${checkpointPath} is a Llama model; this build exports GPT-2 runs to Hugging Face only (Llama export is not built yet).`,
    )
  }
  const { endOfTextId } = inspectTokenizer(metadata.tokenizer, checkpointPath, model.vocabSize)

  const byName = new Map(state.params.map((t) => [t.name, t]))
  const tensors: Tensor[] = gpt2ParamLayout(model).map(({ name, shape }) => ({
    name: HF_PREFIX + name,
    shape,
    data: byName.get(name)!.data,
  }))

  const dir = resolve(outDir)
  // The folder is made if missing; a link there (or at any file in it) is refused, never followed.
  const root = ContainedRoot.open(dir, 'The export folder', { create: true })
  const files: Array<{ name: string; chunks: Iterable<Uint8Array | string> }> = [
    // Hugging Face refuses a safetensors file whose metadata does not name its framework.
    { name: 'model.safetensors', chunks: safetensorsChunks(tensors, { format: 'pt' }) },
    { name: 'config.json', chunks: [jsonText(gpt2Config(model, endOfTextId))] },
    {
      name: 'generation_config.json',
      chunks: [
        jsonText({
          bos_token_id: endOfTextId,
          eos_token_id: endOfTextId,
          max_length: model.seqLen,
        }),
      ],
    },
    { name: 'tokenizer.json', chunks: [metadata.tokenizer] },
    {
      name: 'tokenizer_config.json',
      chunks: [
        jsonText({
          tokenizer_class: 'PreTrainedTokenizerFast',
          model_max_length: model.seqLen,
          ...(endOfTextId === null ? {} : { bos_token: END_OF_TEXT, eos_token: END_OF_TEXT }),
          clean_up_tokenization_spaces: false,
          // A model trained on chat data (or imported with a template) carries it: apply_chat_template works.
          ...chatTemplateField(metadata.config),
        }),
      ],
    },
    {
      name: 'special_tokens_map.json',
      chunks: [
        jsonText(
          endOfTextId === null
            ? {}
            : { bos_token: END_OF_TEXT, eos_token: END_OF_TEXT, unk_token: END_OF_TEXT },
        ),
      ],
    },
    { name: 'README.md', chunks: [modelCard(metadata, endOfTextId, await runFacts(checkpointPath))] },
  ]
  const written: ExportedFile[] = []
  for (const file of files) {
    const path = await writeExportFile(root, file.name, file.chunks)
    written.push({ name: file.name, path, bytes: (await stat(path)).size })
  }
  return { outDir: dir, files: written, endOfTextId, lmHeadWritten: false }
}
