import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  decodeTensor,
  encodeHeader,
  readHeader,
  safetensorsChunks,
} from '../../../../../src/main/engine/checkpoints/safetensors'
import { tempDir } from './fixtures'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

/** A safetensors file put together by hand, as another writer would (no metadata, no padding). */
function handMade(header: object, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header))
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(json.length))
  return Buffer.concat([length, json, data])
}

describe('safetensors container', () => {
  it('reads a file written by another tool, in offset order', async () => {
    const data = Buffer.alloc(20)
    ;[1, 2, 3].forEach((v, i) => data.writeFloatLE(v, 8 + i * 4))
    data.writeFloatLE(-1, 0)
    data.writeFloatLE(-2, 4)
    const path = join(dir, 'other.safetensors')
    await writeFile(
      path,
      handMade(
        {
          b: { dtype: 'F32', shape: [3], data_offsets: [8, 20] },
          a: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] },
        },
        data,
      ),
    )
    const parsed = await readHeader(path)
    expect(parsed.metadata).toEqual({})
    expect(parsed.tensors.map((t) => [t.name, t.shape, t.begin, t.end])).toEqual([
      ['a', [1, 2], 0, 8],
      ['b', [3], 8, 20],
    ])
    expect(parsed.dataLength).toBe(20)
  })

  it('pads the header with spaces so the data starts 8-byte aligned', () => {
    for (const name of ['x', 'xy', 'xyz', 'xyzw']) {
      const header = encodeHeader({ [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } })
      const length = Number(Buffer.from(header).readBigUInt64LE(0))
      expect(header.length).toBe(8 + length)
      expect(length % 8).toBe(0)
      const text = Buffer.from(header.subarray(8)).toString('utf8')
      expect(text).toMatch(/^\{.*\} *$/)
      expect(JSON.parse(text)).toEqual({
        [name]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      })
    }
  })

  it('writes tensors as little-endian F32 in the order given', () => {
    const chunks = [
      ...safetensorsChunks([{ name: 't', shape: [2], data: new Float32Array([1.5, -2]) }], {}),
    ]
    const data = Buffer.from(chunks[1])
    expect([data.readFloatLE(0), data.readFloatLE(4)]).toEqual([1.5, -2])
  })

  it('refuses tensors whose data does not fit their shape, and duplicate names', () => {
    expect(() => [
      ...safetensorsChunks([{ name: 't', shape: [3], data: new Float32Array(2) }], {}),
    ]).toThrow(/has 2 values but shape \[3\] needs 3/)
    const t = { name: 't', shape: [1], data: new Float32Array(1) }
    expect(() => [...safetensorsChunks([t, t], {})]).toThrow(/appears twice/)
  })

  it('decodes aligned bytes as a view and unaligned bytes as a copy, both exact', () => {
    const values = new Float32Array([0.1, -3.5, 1e-30, 7])
    const aligned = new Uint8Array(values.buffer)
    const view = decodeTensor(aligned)
    expect(view.buffer).toBe(values.buffer)
    expect(Array.from(view)).toEqual(Array.from(values))

    const shifted = new Uint8Array(values.byteLength + 1)
    shifted.set(aligned, 1)
    const copy = decodeTensor(shifted.subarray(1))
    expect(copy.buffer).not.toBe(shifted.buffer)
    expect(Array.from(copy)).toEqual(Array.from(values))
  })
})
