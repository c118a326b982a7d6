/**
 * What every architecture's parameter layout and memory plan are made of: named tensors laid out
 * contiguously in one block of floats, and a bump allocator over byte offsets. The architectures
 * (architectures/) decide which tensors there are; nothing here knows a family.
 */
import type { ModelConfig } from './trainer'

/** How a tensor is initialised (model/init.ts). */
export type InitKind = 'normal' | 'residual-proj' | 'zeros' | 'ones'

export interface ParamTensor {
  /** The checkpoint's name: Hugging Face's, e.g. `h.0.attn.c_attn.weight` (GPT-2) or `model.norm.weight` (Llama). */
  name: string
  /** Hugging Face's shape: [in, out] for GPT-2's Conv1D weights, [out, in] for nn.Linear, [V, C] for embeddings. */
  shape: number[]
  /** Offset in floats from the start of the parameter block. */
  offset: number
  size: number
  /** AdamW weight decay applies: every matrix (embeddings included, as GPT-2 / nanoGPT do); never biases or norms. */
  decay: boolean
  init: InitKind
}

export interface ParamLayout {
  config: ModelConfig
  tensors: ParamTensor[]
  /** Floats of the whole block including alignment padding (a multiple of 16: 64-byte slices). */
  totalFloats: number
  /** Trainable parameters, padding excluded. */
  paramCount: number
}

/** Tensors are 16-byte aligned; the block's end is 64-byte aligned so per-sphere copies start on a cache line. */
const TENSOR_ALIGN_FLOATS = 4
const BLOCK_ALIGN_FLOATS = 16

/** Builds a ParamLayout tensor by tensor, in the order they are added (the order init draws them in). */
export class LayoutBuilder {
  private readonly tensors: ParamTensor[] = []
  private cursor = 0

  /**
   * Adds a tensor and returns its offset. `follows`: it starts right where the previous one ends, with
   * no alignment padding, so that the two read as one matrix (Llama's q|k|v and gate|up projections).
   */
  add(name: string, shape: number[], init: InitKind, follows = false): number {
    const size = shape.reduce((a, b) => a * b, 1)
    const last = this.tensors[this.tensors.length - 1]
    const offset = follows && last ? last.offset + last.size : this.cursor
    this.tensors.push({ name, shape, offset, size, decay: shape.length >= 2, init })
    this.cursor = alignUp(offset + size, TENSOR_ALIGN_FLOATS)
    return offset
  }

  finish(config: ModelConfig): ParamLayout {
    const paramCount = this.tensors.reduce((sum, t) => sum + t.size, 0)
    return { config, tensors: this.tensors, totalFloats: alignUp(this.cursor, BLOCK_ALIGN_FLOATS), paramCount }
  }
}

/** Offsets (floats) of a layout's tensors by name, for an architecture's forward and backward. */
export function offsetsByName(layout: ParamLayout): (name: string) => number {
  const map = new Map(layout.tensors.map((t) => [t.name, t.offset]))
  return (name) => {
    const offset = map.get(name)
    if (offset === undefined) throw new Error(`the layout has no tensor ${name}`)
    return offset
  }
}

export function alignUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple
}

const F32 = 4
const REGION_ALIGN = 64

/** A bump allocator over byte offsets; every block starts on a 64-byte line. */
export class Bump {
  constructor(public cursor: number) {}
  take(floats: number): number {
    const at = this.cursor
    this.cursor = alignUp(at + floats * F32, REGION_ALIGN)
    return at
  }
}
