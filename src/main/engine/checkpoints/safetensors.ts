/**
 * The safetensors container, written and read by hand: an 8-byte little-endian header length N, N
 * bytes of JSON (`{name: {dtype, shape, data_offsets}, __metadata__: {string: string}}`, padded with
 * spaces so the data starts 8-byte aligned), then the tensor bytes. Only F32 tensors are handled,
 * which is all CLLM writes. Parsing checks every structural promise of the header against the file
 * size so that a truncated or tampered file is refused before any tensor is touched.
 */
import { openRegularFileHandle } from '../containment'
import { corruptCheckpoint } from './errors'

export interface Tensor {
  name: string
  shape: number[]
  data: Float32Array
}

/** A tensor as the header describes it; offsets are relative to the start of the data region. */
export interface TensorEntry {
  name: string
  shape: number[]
  begin: number
  end: number
}

export interface ParsedHeader {
  /** The header object as parsed (key order preserved), for checks over the whole header. */
  json: Record<string, unknown>
  metadata: Record<string, string>
  /** In file order (ascending offsets), contiguous from 0 to dataLength. */
  tensors: TensorEntry[]
  /** File offset of the first tensor byte. */
  dataStart: number
  dataLength: number
}

export const METADATA_KEY = '__metadata__'
/** safetensors' own limit; a longer header means a damaged length field, not a real header. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024
const F32_BYTES = 4
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1)
}

/** The header object in the order it is written: metadata first, then tensors in the given order. */
export function headerObject(
  tensors: ReadonlyArray<{ name: string; shape: readonly number[] }>,
  metadata: Record<string, string>,
): Record<string, unknown> {
  const header: Record<string, unknown> = { [METADATA_KEY]: metadata }
  let offset = 0
  for (const tensor of tensors) {
    const bytes = elementCount(tensor.shape) * F32_BYTES
    header[tensor.name] = {
      dtype: 'F32',
      shape: [...tensor.shape],
      data_offsets: [offset, offset + bytes],
    }
    offset += bytes
  }
  return header
}

/** Length prefix + JSON padded with spaces to a multiple of 8 bytes. */
export function encodeHeader(header: Record<string, unknown>): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const padded = Math.ceil(json.length / 8) * 8
  const out = Buffer.alloc(8 + padded, 0x20)
  out.writeBigUInt64LE(BigInt(padded), 0)
  json.copy(out, 8)
  return out
}

/** A tensor's bytes in little-endian F32, as a view when the host is little-endian. */
export function tensorBytes(data: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const out = new Uint8Array(data.length * F32_BYTES)
  const view = new DataView(out.buffer)
  for (let i = 0; i < data.length; i++) view.setFloat32(i * F32_BYTES, data[i], true)
  return out
}

/**
 * `bytes` (little-endian F32) as a Float32Array: a view on the same memory when the host is
 * little-endian and the bytes are 4-byte aligned (a file read whole is), a copy otherwise.
 */
export function decodeTensor(bytes: Uint8Array): Float32Array {
  const length = bytes.length / F32_BYTES
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % F32_BYTES === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, length)
  }
  const out = new Float32Array(length)
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes)
    return out
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * F32_BYTES, true)
  return out
}

/** Checks that every tensor's data has the size its shape says; a mismatch is a bug in the caller. */
export function assertTensorSizes(tensors: readonly Tensor[]): void {
  const seen = new Set<string>()
  for (const tensor of tensors) {
    if (seen.has(tensor.name)) throw new Error(`Tensor ${tensor.name} appears twice.`)
    seen.add(tensor.name)
    if (tensor.name === METADATA_KEY) throw new Error(`${METADATA_KEY} is not a tensor name.`)
    const expected = elementCount(tensor.shape)
    if (tensor.data.length !== expected) {
      throw new Error(
        `Tensor ${tensor.name} has ${tensor.data.length} values but shape [${tensor.shape.join(', ')}] needs ${expected}.`,
      )
    }
  }
}

/** The whole file as chunks: header, then each tensor's bytes. */
export function* safetensorsChunks(
  tensors: readonly Tensor[],
  metadata: Record<string, string>,
): Generator<Uint8Array> {
  assertTensorSizes(tensors)
  yield encodeHeader(headerObject(tensors, metadata))
  for (const tensor of tensors) yield tensorBytes(tensor.data)
}

/**
 * Reads the length prefix and the header of `path` (not the tensor data) and checks them against
 * the file size.
 */
export async function readHeader(path: string): Promise<ParsedHeader> {
  // Under the containment rule: a FIFO or a device named *.safetensors is refused, never opened to block.
  const { handle } = await openRegularFileHandle(path, 'Checkpoint')
  try {
    const { size } = await handle.stat()
    const prefix = Buffer.alloc(Math.min(8, size))
    await handle.read(prefix, 0, prefix.length, 0)
    const headerLength = headerLengthOf(prefix, size, path)
    const header = Buffer.alloc(headerLength)
    const { bytesRead } = await handle.read(header, 0, headerLength, 8)
    if (bytesRead !== headerLength)
      throw corruptCheckpoint(path, 'the file changed while it was being read')
    return parseHeader(header, size, path)
  } finally {
    await handle.close()
  }
}

/** Parses the header of a file held in memory; `file` names it in error messages. */
export function parseFile(bytes: Uint8Array, file: string): ParsedHeader {
  const headerLength = headerLengthOf(bytes.subarray(0, 8), bytes.length, file)
  return parseHeader(bytes.subarray(8, 8 + headerLength), bytes.length, file)
}

function headerLengthOf(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) {
    throw corruptCheckpoint(
      file,
      `the file is ${fileSize} bytes long, too short to hold even the 8-byte header length (truncated or not a safetensors file)`,
    )
  }
  const length = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0)
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw corruptCheckpoint(
      file,
      `its first 8 bytes do not give a header length below the ${MAX_HEADER_BYTES}-byte limit (damaged, or not a safetensors file)`,
    )
  }
  const headerLength = Number(length)
  if (8 + headerLength > fileSize) {
    throw corruptCheckpoint(
      file,
      `its header length field points past the end of the ${fileSize}-byte file (truncated, or not a safetensors file)`,
    )
  }
  if (headerLength < 2)
    throw corruptCheckpoint(
      file,
      'its header length field is too short for a header (damaged, or not a safetensors file)',
    )
  return headerLength
}

function parseHeader(headerBytes: Uint8Array, fileSize: number, file: string): ParsedHeader {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)
  } catch {
    throw corruptCheckpoint(file, 'the header is not valid UTF-8 text')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    // The parser's message quotes the text; the file may not be a checkpoint, so nothing is echoed.
    throw corruptCheckpoint(file, 'the header is not valid JSON')
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw corruptCheckpoint(file, 'the header is not a JSON object')
  }
  const header = json as Record<string, unknown>
  const metadata = parseMetadata(header[METADATA_KEY], file)
  const dataStart = 8 + headerBytes.length
  const dataLength = fileSize - dataStart
  const tensors = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, entry]) => parseEntry(name, entry, file))
    .sort((a, b) => a.begin - b.begin || a.end - b.end)
  checkLayout(tensors, dataLength, file)
  return { json: header, metadata, tensors, dataStart, dataLength }
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw corruptCheckpoint(file, `the header's ${METADATA_KEY} is not an object`)
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw corruptCheckpoint(file, `metadata field "${key}" is not a string`)
  }
  return value as Record<string, string>
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function parseEntry(name: string, entry: unknown, file: string): TensorEntry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw corruptCheckpoint(file, `the header entry for tensor "${name}" is not an object`)
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>
  if (dtype !== 'F32') {
    throw corruptCheckpoint(
      file,
      `tensor "${name}" has dtype ${JSON.stringify(dtype)}; CLLM checkpoints hold F32 tensors only`,
    )
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
    throw corruptCheckpoint(file, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`)
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every(isNonNegativeInt) ||
    offsets[0] > offsets[1]
  ) {
    throw corruptCheckpoint(
      file,
      `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`,
    )
  }
  const [begin, end] = offsets as [number, number]
  const needed = elementCount(shape) * F32_BYTES
  if (end - begin !== needed) {
    throw corruptCheckpoint(
      file,
      `tensor "${name}" has shape [${shape.join(', ')}] (${needed} bytes) but its data_offsets span ${end - begin} bytes`,
    )
  }
  return { name, shape: shape as number[], begin, end }
}

/** Tensors must tile the data region exactly: no byte outside the file, no overlap, no gap, no tail. */
function checkLayout(tensors: readonly TensorEntry[], dataLength: number, file: string): void {
  let cursor = 0
  let previous: TensorEntry | undefined
  for (const tensor of tensors) {
    if (tensor.begin < cursor && previous) {
      throw corruptCheckpoint(
        file,
        `tensors "${previous.name}" and "${tensor.name}" overlap in the data region`,
      )
    }
    if (tensor.begin > cursor) {
      throw corruptCheckpoint(
        file,
        `there are ${tensor.begin - cursor} unaccounted bytes before tensor "${tensor.name}"`,
      )
    }
    if (tensor.end > dataLength) {
      throw corruptCheckpoint(
        file,
        `tensor "${tensor.name}" ends at data byte ${tensor.end} but the file holds only ${dataLength} bytes of tensor data (truncated)`,
      )
    }
    cursor = tensor.end
    previous = tensor
  }
  if (cursor !== dataLength) {
    throw corruptCheckpoint(file, `${dataLength - cursor} unexpected bytes follow the last tensor`)
  }
}
