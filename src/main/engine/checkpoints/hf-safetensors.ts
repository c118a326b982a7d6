/**
 * The weights of a Hugging Face folder: one `model.safetensors`, or the shards a
 * `model.safetensors.index.json` lists in its `weight_map` (each shard read through the folder's
 * containment rule, so a link or FIFO among them is refused). Headers are bounds-checked against
 * the file; F32, F16 and BF16 are widened to F32. Anything that does not add up is refused naming
 * the file and the tensor.
 */
import { fromHalf } from './gguf'
import { refuse, type ModelFolder } from './hf-folder'

export interface RawTensor {
  name: string
  dtype: string
  shape: number[]
  bytes: Uint8Array
  /** The file it was read from, for messages. */
  file: string
}

/** The tensors of a safetensors file, any dtype; bounds checked against the file. */
export function parseSafetensors(bytes: Buffer, file: string): RawTensor[] {
  const damaged = (why: string): Error => refuse(`${file} is not a readable safetensors file: ${why}.`)
  if (bytes.length < 8) throw damaged('it is shorter than its 8-byte header length')
  const headerLength = Number(bytes.readBigUInt64LE(0))
  if (headerLength < 2 || 8 + headerLength > bytes.length) throw damaged('its header length is beyond the file')
  let header: Record<string, unknown>
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>
  } catch {
    throw damaged('its header is not JSON')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw damaged('its header is not a JSON object')
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
    tensors.push({ name, dtype, shape: shape as number[], bytes: bytes.subarray(dataStart + begin, dataStart + end), file })
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

/** A tensor's values as F32 (F16 and BF16 widened exactly); refuses other dtypes and non-finite values. */
export function toFloat32(tensor: RawTensor): Float32Array {
  const { file } = tensor
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

/** toFloat32, and the values must be finite numbers (a NaN would train as NaN). */
export function finiteFloat32(tensor: RawTensor): Float32Array {
  const data = toFloat32(tensor)
  const bad = data.findIndex((value) => !Number.isFinite(value))
  if (bad !== -1)
    throw refuse(`${tensor.file}: tensor ${tensor.name} holds ${String(data[bad])} at index ${bad}; weights must be finite numbers.`)
  return data
}

export const SINGLE_FILE = 'model.safetensors'
export const SHARD_INDEX = 'model.safetensors.index.json'

/**
 * Every tensor of the folder's weights by name: `model.safetensors`, else the shards of
 * `model.safetensors.index.json`. A shard that is missing, or a tensor the index places in a
 * shard that does not hold it, or one held by two shards, is refused by name.
 */
export async function readHfWeights(folder: ModelFolder): Promise<Map<string, RawTensor>> {
  const dir = folder.root.path
  if (await folder.has(SINGLE_FILE)) return byName(parseSafetensors(await folder.read(SINGLE_FILE), folder.path(SINGLE_FILE)))
  if (!(await folder.has(SHARD_INDEX))) {
    if (await folder.has('pytorch_model.bin'))
      throw refuse(`${dir} holds pytorch_model.bin (a Python pickle, which is never loaded here); save the model with safe_serialization=True to get model.safetensors.`)
    if (await folder.has('pytorch_model.bin.index.json'))
      throw refuse(`${dir} holds sharded pytorch_model-*.bin files (Python pickles, which are never loaded here); save the model with safe_serialization=True to get model.safetensors.`)
    throw refuse(`${dir} has no model.safetensors (nor model.safetensors.index.json).`)
  }
  const indexFile = folder.path(SHARD_INDEX)
  const index = await folder.readJson(SHARD_INDEX)
  const weightMap = index.weight_map
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap))
    throw refuse(`${indexFile}: weight_map must be an object naming each tensor's shard file.`)
  const placed = new Map<string, string>()
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    // A shard is a file of the folder itself: no path, no way out of it.
    if (typeof shard !== 'string' || shard === '' || /[/\\]/.test(shard) || shard === '.' || shard === '..')
      throw refuse(`${indexFile}: weight_map gives tensor "${name}" the shard ${JSON.stringify(shard)}, which is not a file name in the folder.`)
    placed.set(name, shard)
  }
  if (placed.size === 0) throw refuse(`${indexFile}: weight_map lists no tensors.`)
  const tensors = new Map<string, RawTensor>()
  for (const shard of [...new Set(placed.values())].sort()) {
    if (!(await folder.has(shard)))
      throw refuse(`${indexFile} places tensors in ${shard} (${firstTensorOf(placed, shard)}), but ${folder.path(shard)} is missing.`)
    for (const tensor of parseSafetensors(await folder.read(shard), folder.path(shard))) {
      const other = tensors.get(tensor.name)
      if (other) throw refuse(`Tensor ${tensor.name} is in two shards: ${other.file} and ${tensor.file}.`)
      tensors.set(tensor.name, tensor)
    }
  }
  for (const [name, shard] of placed) {
    const found = tensors.get(name)
    if (!found || found.file !== folder.path(shard))
      throw refuse(`${indexFile} places tensor ${name} in ${shard}, but ${folder.path(shard)} does not hold it.`)
  }
  return tensors
}

function byName(tensors: RawTensor[]): Map<string, RawTensor> {
  return new Map(tensors.map((t) => [t.name, t]))
}

function firstTensorOf(placed: Map<string, string>, shard: string): string {
  for (const [name, file] of placed) if (file === shard) return name
  return ''
}
