import type { ModelConfig } from './trainer'

/** How GPT-2 initialises a tensor. */
export type InitKind = 'normal' | 'residual-proj' | 'zeros' | 'ones'

export interface ParamTensor {
  /** Hugging Face GPT-2 name without the `transformer.` prefix, e.g. `h.0.attn.c_attn.weight`. */
  name: string
  /** [in, out] for linear weights (Conv1D layout), [V, C] / [T, C] for embeddings. */
  shape: number[]
  /** Offset in floats from the start of the parameter block; a multiple of 4 (16 bytes). */
  offset: number
  size: number
  /** AdamW weight decay applies: every matrix (embeddings included, as GPT-2 / nanoGPT do); never biases or LayerNorm. */
  decay: boolean
  init: InitKind
}

/** Per-layer parameter offsets (floats into the block), for the forward and backward passes. */
export interface LayerParams {
  ln1w: number
  ln1b: number
  qkvw: number
  qkvb: number
  attprojw: number
  attprojb: number
  ln2w: number
  ln2b: number
  fcw: number
  fcb: number
  fcprojw: number
  fcprojb: number
}

export interface ParamLayout {
  config: ModelConfig
  tensors: ParamTensor[]
  wte: number
  wpe: number
  layers: LayerParams[]
  lnfw: number
  lnfb: number
  /** Floats of the whole block including alignment padding (a multiple of 16: 64-byte slices). */
  totalFloats: number
  /** Trainable parameters, padding excluded. */
  paramCount: number
}

/** Tensors are 16-byte aligned; the block's end is 64-byte aligned so per-sphere copies start on a cache line. */
const TENSOR_ALIGN_FLOATS = 4
const BLOCK_ALIGN_FLOATS = 16

/**
 * The parameter tensors of a GPT-2 model, in Hugging Face's names and order, laid out contiguously.
 * The LM head is tied to `wte`, so it has no tensor of its own.
 */
export function createParamLayout(config: ModelConfig): ParamLayout {
  const { vocabSize: V, seqLen: T, dModel: C, nLayers: L } = config
  const tensors: ParamTensor[] = []
  let cursor = 0
  const add = (name: string, shape: number[], init: InitKind): number => {
    const size = shape.reduce((a, b) => a * b, 1)
    const offset = cursor
    const decay = shape.length >= 2
    tensors.push({ name, shape, offset, size, decay, init })
    cursor = alignUp(cursor + size, TENSOR_ALIGN_FLOATS)
    return offset
  }
  const wte = add('wte.weight', [V, C], 'normal')
  const wpe = add('wpe.weight', [T, C], 'normal')
  const layers: LayerParams[] = []
  for (let l = 0; l < L; l++) {
    const p = `h.${l}.`
    layers.push({
      ln1w: add(`${p}ln_1.weight`, [C], 'ones'),
      ln1b: add(`${p}ln_1.bias`, [C], 'zeros'),
      qkvw: add(`${p}attn.c_attn.weight`, [C, 3 * C], 'normal'),
      qkvb: add(`${p}attn.c_attn.bias`, [3 * C], 'zeros'),
      attprojw: add(`${p}attn.c_proj.weight`, [C, C], 'residual-proj'),
      attprojb: add(`${p}attn.c_proj.bias`, [C], 'zeros'),
      ln2w: add(`${p}ln_2.weight`, [C], 'ones'),
      ln2b: add(`${p}ln_2.bias`, [C], 'zeros'),
      fcw: add(`${p}mlp.c_fc.weight`, [C, 4 * C], 'normal'),
      fcb: add(`${p}mlp.c_fc.bias`, [4 * C], 'zeros'),
      fcprojw: add(`${p}mlp.c_proj.weight`, [4 * C, C], 'residual-proj'),
      fcprojb: add(`${p}mlp.c_proj.bias`, [C], 'zeros'),
    })
  }
  const lnfw = add('ln_f.weight', [C], 'ones')
  const lnfb = add('ln_f.bias', [C], 'zeros')
  const paramCount = tensors.reduce((sum, t) => sum + t.size, 0)
  return { config, tensors, wte, wpe, layers, lnfw, lnfb, totalFloats: alignUp(cursor, BLOCK_ALIGN_FLOATS), paramCount }
}

/** Parameters of a config without building the layout: V·C + T·C + L·(12C² + 13C) + 2C. */
export function countParams(config: ModelConfig): number {
  const { vocabSize: V, seqLen: T, dModel: C, nLayers: L } = config
  return V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
}

export function alignUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple
}
