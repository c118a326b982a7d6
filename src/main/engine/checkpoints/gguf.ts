/**
 * The GGUF v3 container (ggml `docs/gguf.md`), written by hand: the magic `GGUF`, version 3, the
 * tensor and key–value counts, the typed key–value pairs, one info record per tensor (name, ggml
 * dimensions with the fastest-varying first, ggml type, offset into the data region), padding to the
 * alignment, then each tensor's bytes at an aligned offset. Everything little-endian. Only the value
 * and tensor types an exporter needs are here: integers, floats, booleans, strings, arrays of them;
 * F32, F16 and Q8_0 tensors.
 */

export const GGUF_MAGIC = 0x46554747 // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3
export const GGUF_ALIGNMENT = 32

/** The metadata value types of the spec, by their numeric tag. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const

/** ggml tensor types this writer produces. */
export const GgmlType = { F32: 0, F16: 1, Q8_0: 8 } as const
export type GgmlTypeId = (typeof GgmlType)[keyof typeof GgmlType]

/** Q8_0 stores blocks of 32 values: an f16 scale then 32 signed bytes. */
export const Q8_0_BLOCK = 32
const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK

/** The precisions an export offers: every matrix in F32, F16 or Q8_0 (norms and biases stay F32). */
export const GGUF_PRECISIONS = ['f32', 'f16', 'q8_0'] as const
export type GgufPrecision = (typeof GGUF_PRECISIONS)[number]

/** llama.cpp's `general.file_type` (llama_ftype) for each precision. */
export const GGUF_FILE_TYPE: Record<GgufPrecision, number> = { f32: 0, f16: 1, q8_0: 7 }

/** A matrix's ggml type at a precision: Q8_0 only where rows split into whole blocks, else F16. */
export function matrixType(precision: GgufPrecision, rowLength: number): GgmlTypeId {
  if (precision === 'f32') return GgmlType.F32
  if (precision === 'q8_0' && rowLength % Q8_0_BLOCK === 0) return GgmlType.Q8_0
  return GgmlType.F16
}

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'i32[]'; value: ArrayLike<number> }

export interface GgufTensor {
  name: string
  /** ggml order: dims[0] is the length of a row (the fastest-varying index). */
  dims: number[]
  type: GgmlTypeId
  /**
   * Row-major values, rows of dims[0]; encoded into `type` when written. A function is called only
   * when the tensor is written, so a transposed copy lives one tensor at a time.
   */
  data: Float32Array | (() => Float32Array)
}

/** Bytes a tensor takes in the file (before padding). */
export function tensorByteLength(tensor: Pick<GgufTensor, 'dims' | 'type'>): number {
  const count = tensor.dims.reduce((a, b) => a * b, 1)
  if (tensor.type === GgmlType.F32) return count * 4
  if (tensor.type === GgmlType.F16) return count * 2
  return (count / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES
}

function alignUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple
}

/** Grows as bytes are appended; the header is small enough to build in memory. */
class ByteWriter {
  private buffer = Buffer.alloc(1 << 16)
  length = 0

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + bytes))
    this.buffer.copy(next, 0, 0, this.length)
    this.buffer = next
  }
  u32(value: number): void {
    this.reserve(4)
    this.length = this.buffer.writeUInt32LE(value, this.length)
  }
  i32(value: number): void {
    this.reserve(4)
    this.length = this.buffer.writeInt32LE(value, this.length)
  }
  u64(value: number): void {
    this.reserve(8)
    this.length = this.buffer.writeBigUInt64LE(BigInt(value), this.length)
  }
  f32(value: number): void {
    this.reserve(4)
    this.length = this.buffer.writeFloatLE(value, this.length)
  }
  u8(value: number): void {
    this.reserve(1)
    this.length = this.buffer.writeUInt8(value, this.length)
  }
  /** A gguf_string: u64 byte length, then UTF-8 without a terminator. */
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8')
    this.u64(bytes.length)
    this.reserve(bytes.length)
    bytes.copy(this.buffer, this.length)
    this.length += bytes.length
  }
  padTo(multiple: number): void {
    const padded = alignUp(this.length, multiple)
    this.reserve(padded - this.length)
    this.buffer.fill(0, this.length, padded)
    this.length = padded
  }
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length)
  }
}

function writeValue(out: ByteWriter, value: GgufValue): void {
  switch (value.type) {
    case 'u32':
      out.u32(GgufValueType.UINT32)
      return out.u32(value.value)
    case 'i32':
      out.u32(GgufValueType.INT32)
      return out.i32(value.value)
    case 'f32':
      out.u32(GgufValueType.FLOAT32)
      return out.f32(value.value)
    case 'bool':
      out.u32(GgufValueType.BOOL)
      return out.u8(value.value ? 1 : 0)
    case 'string':
      out.u32(GgufValueType.STRING)
      return out.string(value.value)
    case 'string[]':
      out.u32(GgufValueType.ARRAY)
      out.u32(GgufValueType.STRING)
      out.u64(value.value.length)
      for (const item of value.value) out.string(item)
      return
    case 'i32[]':
      out.u32(GgufValueType.ARRAY)
      out.u32(GgufValueType.INT32)
      out.u64(value.value.length)
      for (let i = 0; i < value.value.length; i++) out.i32(value.value[i])
      return
  }
}

/**
 * The whole file as chunks: the header (with every tensor's offset) built first, then each
 * tensor's bytes encoded one at a time, so a 124M-parameter model never needs a second full copy.
 */
export function* ggufChunks(
  metadata: ReadonlyArray<[string, GgufValue]>,
  tensors: readonly GgufTensor[],
): Generator<Uint8Array> {
  const out = new ByteWriter()
  out.u32(GGUF_MAGIC)
  out.u32(GGUF_VERSION)
  out.u64(tensors.length)
  out.u64(metadata.length)
  for (const [key, value] of metadata) {
    out.string(key)
    writeValue(out, value)
  }
  let offset = 0
  for (const tensor of tensors) {
    if (tensor.type === GgmlType.Q8_0 && tensor.dims[0] % Q8_0_BLOCK !== 0)
      throw new Error(`Q8_0 needs rows of a multiple of ${Q8_0_BLOCK} values (${tensor.name})`)
    out.string(tensor.name)
    out.u32(tensor.dims.length)
    for (const dim of tensor.dims) out.u64(dim)
    out.u32(tensor.type)
    out.u64(offset)
    offset = alignUp(offset + tensorByteLength(tensor), GGUF_ALIGNMENT)
  }
  out.padTo(GGUF_ALIGNMENT)
  yield out.bytes()
  for (const tensor of tensors) {
    const bytes = encodeTensor(tensor)
    yield bytes
    const padding = alignUp(bytes.length, GGUF_ALIGNMENT) - bytes.length
    if (padding > 0) yield new Uint8Array(padding)
  }
}

function encodeTensor(tensor: GgufTensor): Uint8Array {
  const data = typeof tensor.data === 'function' ? tensor.data() : tensor.data
  if (tensor.type === GgmlType.F32) {
    const copy = new Float32Array(data) // little-endian hosts only, as the rest of the engine
    return new Uint8Array(copy.buffer)
  }
  if (tensor.type === GgmlType.F16) {
    const halves = new Uint16Array(data.length)
    for (let i = 0; i < data.length; i++) halves[i] = toHalf(data[i])
    return new Uint8Array(halves.buffer)
  }
  return quantizeQ8_0(data)
}

/** ggml's reference Q8_0: scale = max|x| / 127 stored as f16, each value round(x / scale). */
export function quantizeQ8_0(data: Float32Array): Uint8Array {
  const blocks = data.length / Q8_0_BLOCK
  const bytes = new Uint8Array(blocks * Q8_0_BLOCK_BYTES)
  const view = new DataView(bytes.buffer)
  for (let b = 0; b < blocks; b++) {
    const start = b * Q8_0_BLOCK
    let amax = 0
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(data[start + j]))
    const scale = Math.fround(amax / 127)
    const inverse = scale !== 0 ? Math.fround(1 / scale) : 0
    const at = b * Q8_0_BLOCK_BYTES
    view.setUint16(at, toHalf(scale), true)
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const x = Math.fround(data[start + j] * inverse)
      // C's roundf: halves away from zero.
      view.setInt8(at + 2 + j, Math.sign(x) * Math.round(Math.abs(x)))
    }
  }
  return bytes
}

const floatView = new Float32Array(1)
const bitsView = new Uint32Array(floatView.buffer)

/** IEEE 754 binary16 bits of a float32, rounded to nearest even (as ggml's converter does). */
export function toHalf(value: number): number {
  floatView[0] = value
  const bits = bitsView[0]
  const sign = (bits >>> 16) & 0x8000
  const exponent = (bits >>> 23) & 0xff
  let mantissa = bits & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0) // inf / NaN
  let halfExponent = exponent - 127 + 15
  if (halfExponent >= 0x1f) return sign | 0x7c00 // too large: infinity
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the implicit 1 in and round.
    if (halfExponent < -10) return sign
    mantissa |= 0x800000
    const shift = 14 - halfExponent
    const half = mantissa >>> shift
    const rest = mantissa & ((1 << shift) - 1)
    const midpoint = 1 << (shift - 1)
    const rounded = rest > midpoint || (rest === midpoint && (half & 1) === 1) ? half + 1 : half
    return sign | rounded
  }
  let half = (halfExponent << 10) | (mantissa >>> 13)
  const rest = mantissa & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1 // may carry into the exponent: correct
  halfExponent = half >>> 10
  return sign | (halfExponent >= 0x1f ? 0x7c00 : half)
}

/** The float a binary16 bit pattern stands for. */
export function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >>> 10) & 0x1f
  const mantissa = bits & 0x3ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
}
