/**
 * The GGUF writer's value types read back by an independent parser (node-llama-cpp's GGUF reader,
 * pure TypeScript) and checked byte by byte: a float32 array is GGUF's ARRAY of FLOAT32 (type 6),
 * each element a little-endian float32. llama.cpp itself reading one (`tokenizer.ggml.scores`) is
 * tokenizer/gguf-vocab-spm.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readGgufFileInfo } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ggufChunks, GgufValueType, type GgufValue } from '../../../../../src/main/engine/checkpoints/gguf'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-gguf-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function fileBytes(metadata: Array<[string, GgufValue]>): Buffer {
  return Buffer.concat([...ggufChunks(metadata, [])])
}

describe('GGUF metadata values', () => {
  const scores = Float32Array.from([0, -1, -2.5, 3.25, -1e6, 1e-7])
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['test.scores', { type: 'f32[]', value: scores }],
    ['test.types', { type: 'i32[]', value: Int32Array.from([1, -2, 6]) }],
    ['test.after', { type: 'u32', value: 7 }],
  ]

  it('writes a float32 array as ARRAY of FLOAT32 with little-endian elements', () => {
    const bytes = fileBytes(metadata)
    const key = Buffer.from('test.scores')
    const at = bytes.indexOf(key) + key.length
    expect(bytes.readUInt32LE(at)).toBe(GgufValueType.ARRAY)
    expect(bytes.readUInt32LE(at + 4)).toBe(GgufValueType.FLOAT32)
    expect(Number(bytes.readBigUInt64LE(at + 8))).toBe(scores.length)
    const elements = Array.from({ length: scores.length }, (_, i) => bytes.readFloatLE(at + 16 + 4 * i))
    expect(elements).toEqual(Array.from(scores))
  })

  it('round-trips through node-llama-cpp’s GGUF reader, the keys after it intact', async () => {
    const path = join(dir, 'values.gguf')
    await writeFile(path, fileBytes(metadata))
    const info = await readGgufFileInfo(path, { logWarnings: false })
    const test = (info.metadata as unknown as { test: Record<string, unknown> }).test
    expect(test.scores).toEqual(Array.from(scores))
    expect(test.types).toEqual([1, -2, 6])
    expect(test.after).toBe(7)
  })
})
