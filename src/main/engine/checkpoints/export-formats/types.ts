/**
 * What one architecture contributes to the exports: its Hugging Face config and tensor names, its
 * model card lines, and its GGUF architecture, hyper-parameter keys and tensors. export-hf.ts and
 * export-gguf.ts write the files and the tokenizer, the same for every family; a new family is a
 * new file here and a line in index.ts.
 */
import type { ModelConfig } from '../../model/trainer'
import type { GgufPrecision, GgufTensor, GgufValue } from '../gguf'
import type { Tensor } from '../safetensors'

/** The special token ids config.json and generation_config.json name (null: the tokenizer has none). */
export interface SpecialIds {
  bosId: number | null
  eosId: number | null
}

/** The trained parameters by their checkpoint names (Hugging Face's, see model/architectures/). */
export type ParamsByName = ReadonlyMap<string, Float32Array>

export interface ArchitectureExport {
  /** The transformers class `from_pretrained` builds, e.g. `LlamaForCausalLM`. */
  hfClass(model: ModelConfig): string
  /** config.json: every field transformers needs to rebuild exactly this network. */
  hfConfig(model: ModelConfig, ids: SpecialIds): Record<string, unknown>
  /** model.safetensors' tensors, under the class's state-dict names, in the file's order. */
  hfTensors(model: ModelConfig, params: ParamsByName): Tensor[]
  /** The family's name for people: GPT-2, Llama, Qwen2. */
  label(model: ModelConfig): string
  /** The rows of the model card's Model table after vocabulary, context length and embedding size. */
  cardRows(model: ModelConfig): Array<[string, string | number]>
  /** `general.architecture`: the llama.cpp loader that runs the file. */
  ggufArchitecture(model: ModelConfig): string
  /** The `{arch}.*` hyper-parameter keys. */
  ggufHyperparameters(model: ModelConfig): Array<[string, GgufValue]>
  /** The tensors under llama.cpp's names and layout, matrices at `precision`. */
  ggufTensors(model: ModelConfig, params: ParamsByName, precision: GgufPrecision): GgufTensor[]
}

/** A parameter by name; a missing one is a bug (the checkpoint was checked against the layout on load). */
export function param(params: ParamsByName, name: string): Float32Array {
  const data = params.get(name)
  if (!data) throw new Error(`missing parameter ${name}`)
  return data
}

export const u32 = (value: number): GgufValue => ({ type: 'u32', value })
export const f32 = (value: number): GgufValue => ({ type: 'f32', value })
