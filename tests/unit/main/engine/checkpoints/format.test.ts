import { createHash } from 'node:crypto'
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  CorruptCheckpointError,
  loadCheckpoint,
  readCheckpointInfo,
  saveCheckpoint,
} from '../../../../../src/main/engine/checkpoints'
import { UserError } from '../../../../../src/shared/errors'
import { gpt2Shapes, makeCheckpoint, rewriteHeader, tempDir, TINY } from './fixtures'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(() => cleanup())

/** The file's header and data region, parsed here by hand (not with the code under test). */
async function rawParts(path: string) {
  const bytes = await readFile(path)
  const length = Number(bytes.readBigUInt64LE(0))
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    unknown
  >
  return { bytes, length, header, data: bytes.subarray(8 + length) }
}

function bytesOf(data: Float32Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

async function refusal(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserError)
  return error as UserError
}

async function expectCorrupt(path: string, pattern: RegExp): Promise<void> {
  const error = await refusal(loadCheckpoint(path))
  expect(error.code).toBe('corrupt-checkpoint')
  expect(error.message).toContain(path)
  expect(error.message).toMatch(pattern)
}

describe('checkpoint round trip', () => {
  it('loads back exactly the tensors, step and metadata it saved', async () => {
    const path = join(dir, 'a.safetensors')
    const input = makeCheckpoint()
    await saveCheckpoint(path, input)
    const loaded = await loadCheckpoint(path)

    expect(loaded.metadata).toEqual(input.metadata)
    expect(loaded.state.step).toBe(input.state.step)
    for (const key of ['params', 'adamM', 'adamV'] as const) {
      expect(loaded.state[key].map((t) => t.name)).toEqual(input.state[key].map((t) => t.name))
      loaded.state[key].forEach((tensor, i) => {
        const original = input.state[key][i]
        expect(tensor.shape).toEqual(original.shape)
        expect(bytesOf(tensor.data).equals(bytesOf(original.data)), tensor.name).toBe(true)
      })
    }
  })

  it('writes the same bytes for the same checkpoint, and a load-save cycle changes nothing', async () => {
    const first = join(dir, 'first.safetensors')
    const second = join(dir, 'second.safetensors')
    await saveCheckpoint(first, makeCheckpoint())
    await saveCheckpoint(second, await loadCheckpoint(first))
    expect((await readFile(second)).equals(await readFile(first))).toBe(true)
  })

  it('is a safetensors file: aligned header, F32 tensors with HF names, string metadata, checksum of the data', async () => {
    const path = join(dir, 'a.safetensors')
    await saveCheckpoint(path, makeCheckpoint())
    const { length, header, data } = await rawParts(path)
    expect(length % 8).toBe(0)

    const metadata = header.__metadata__ as Record<string, string>
    expect(metadata.format).toBe('cllm-checkpoint')
    expect(metadata.format_version).toBe('1')
    expect(metadata.checksum).toBe(createHash('sha256').update(data).digest('hex'))
    for (const value of Object.values(metadata)) expect(typeof value).toBe('string')
    expect(JSON.parse(metadata.config).model).toEqual(TINY)
    expect(metadata.step).toBe('7')

    const names = Object.keys(header).filter((k) => k !== '__metadata__')
    const expected = gpt2Shapes(TINY)
    expect(names).toEqual([
      ...expected.map(([n]) => n),
      ...expected.map(([n]) => `optimizer.m.${n}`),
      ...expected.map(([n]) => `optimizer.v.${n}`),
    ])
    const entry = header['h.1.attn.c_attn.weight'] as {
      dtype: string
      shape: number[]
      data_offsets: number[]
    }
    expect(entry.dtype).toBe('F32')
    expect(entry.shape).toEqual([16, 48])
    expect(entry.data_offsets[1] - entry.data_offsets[0]).toBe(16 * 48 * 4)
  })

  it('stores non-finite losses as null, so a diverged run still checkpoints', async () => {
    const path = join(dir, 'nan.safetensors')
    const input = makeCheckpoint()
    input.metadata.losses = { train: NaN, val: Infinity, recentTrain: [{ step: 7, loss: NaN }] }
    await saveCheckpoint(path, input)
    const { losses } = (await loadCheckpoint(path)).metadata
    expect(losses).toEqual({
      train: null,
      val: null,
      recentTrain: [{ step: 7, loss: null }],
      recentVal: [],
    })
  })

  it('saves tensors that are views on shared memory (the trainer’s WebAssembly memory)', async () => {
    const path = join(dir, 'shared.safetensors')
    const input = makeCheckpoint()
    input.state.params = input.state.params.map((t) => {
      const shared = new Float32Array(
        new SharedArrayBuffer((t.data.length + 3) * 4),
        12,
        t.data.length,
      )
      shared.set(t.data)
      return { ...t, data: shared }
    })
    await saveCheckpoint(path, input)
    const loaded = await loadCheckpoint(path)
    expect(Array.from(loaded.state.params[3].data)).toEqual(Array.from(input.state.params[3].data))
  })

  it('refuses to save a state that does not match its config, and writes nothing', async () => {
    const path = join(dir, 'bad.safetensors')
    const input = makeCheckpoint()
    input.state.adamV = input.state.adamV.slice(1)
    await expect(saveCheckpoint(path, input)).rejects.toThrow(/optimizer\.v\.wte\.weight/)
    expect(await readdir(dir)).toEqual([])
  })

  it('readCheckpointInfo returns the metadata and tensor shapes from the header alone', async () => {
    const path = join(dir, 'a.safetensors')
    const input = makeCheckpoint()
    await saveCheckpoint(path, input)
    const info = await readCheckpointInfo(path)
    expect(info.metadata).toEqual(input.metadata)
    expect(info.formatVersion).toBe(1)
    expect(info.sizeBytes).toBe((await readFile(path)).length)
    expect(info.tensors).toHaveLength(gpt2Shapes(TINY).length * 3)
  })
})

describe('atomic save', () => {
  /** A chunk writer that writes the first chunk for real, then fails as a full disk would. */
  function failingAfterFirstChunk() {
    let chunks = 0
    return async (handle: import('node:fs/promises').FileHandle, chunk: Uint8Array) => {
      if (chunks++ >= 1)
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
      await handle.write(chunk)
    }
  }

  it('keeps the old checkpoint intact when writing the new one fails half-way, and leaves no temporary file', async () => {
    const path = join(dir, 'checkpoint_step_10.safetensors')
    const old = makeCheckpoint(TINY, { seed: 1 })
    await saveCheckpoint(path, old)
    const before = await readFile(path)

    await expect(
      saveCheckpoint(path, makeCheckpoint(TINY, { seed: 2 }), {
        writeChunk: failingAfterFirstChunk(),
      }),
    ).rejects.toThrow(`Could not write checkpoint ${path}: the disk is full (ENOSPC).`)
    expect((await readFile(path)).equals(before)).toBe(true)
    await expect(loadCheckpoint(path)).resolves.toBeDefined()
    expect(await readdir(dir)).toEqual(['checkpoint_step_10.safetensors'])
  })

  it('leaves no file at all at a new path when the write fails', async () => {
    const path = join(dir, 'fresh.safetensors')
    await expect(
      saveCheckpoint(path, makeCheckpoint(), { writeChunk: failingAfterFirstChunk() }),
    ).rejects.toThrow()
    expect(await readdir(dir)).toEqual([])
  })

  it('names the file when its folder does not exist', async () => {
    const path = join(dir, 'missing', 'a.safetensors')
    await expect(saveCheckpoint(path, makeCheckpoint())).rejects.toThrow(
      `Could not write checkpoint ${path}: its folder does not exist (ENOENT).`,
    )
  })

  it('replaces an existing checkpoint with the new one', async () => {
    const path = join(dir, 'a.safetensors')
    await saveCheckpoint(path, makeCheckpoint(TINY, { step: 1 }))
    await saveCheckpoint(path, makeCheckpoint(TINY, { step: 2 }))
    expect((await loadCheckpoint(path)).metadata.step).toBe(2)
    expect(await readdir(dir)).toEqual(['a.safetensors'])
  })
})

describe('corrupt checkpoints are refused with a message naming the file and the problem', () => {
  let path: string
  beforeEach(async () => {
    path = join(dir, 'checkpoint_step_7.safetensors')
    await saveCheckpoint(path, makeCheckpoint())
  })

  it('truncated in the tensor data', async () => {
    const size = (await readFile(path)).length
    await truncate(path, Math.floor(size * 0.6))
    await expectCorrupt(path, /truncated/)
  })

  it('truncated inside the header', async () => {
    await truncate(path, 100)
    await expectCorrupt(
      path,
      /header length field points past the end of the 100-byte file \(truncated/,
    )
  })

  it('truncated to less than the length field', async () => {
    await truncate(path, 5)
    await expectCorrupt(path, /5 bytes long, too short/)
  })

  it('an empty file', async () => {
    await writeFile(path, '')
    await expectCorrupt(path, /0 bytes long/)
  })

  it('a flipped byte in the tensor data', async () => {
    const bytes = await readFile(path)
    const at = bytes.length - 1000
    bytes[at] ^= 0x40
    await writeFile(path, bytes)
    await expectCorrupt(path, /does not match its checksum/)
  })

  it('a flipped header byte that breaks the JSON', async () => {
    const bytes = await readFile(path)
    expect(bytes[8]).toBe('{'.charCodeAt(0))
    bytes[8] ^= 0x01
    await writeFile(path, bytes)
    await expectCorrupt(path, /header is not valid JSON/)
  })

  it('a flipped header byte that keeps the JSON valid (inside the step value)', async () => {
    const bytes = await readFile(path)
    const at = bytes.indexOf('"step":"7"') + '"step":"'.length
    expect(at).toBeGreaterThan(8)
    bytes[at] = '9'.charCodeAt(0)
    await writeFile(path, bytes)
    await expectCorrupt(path, /header does not match its header checksum/)
  })

  it('a header length larger than the file', async () => {
    const bytes = await readFile(path)
    bytes.writeBigUInt64LE(BigInt(bytes.length), 0)
    await writeFile(path, bytes)
    await expectCorrupt(
      path,
      /header length field points past the end of the \d+-byte file/,
    )
  })

  it('an absurd header length', async () => {
    const bytes = await readFile(path)
    bytes.writeBigUInt64LE(2n ** 62n, 0)
    await writeFile(path, bytes)
    await expectCorrupt(path, /do not give a header length below the \d+-byte limit/)
  })

  it('format version 999, saying which version is supported', async () => {
    await rewriteHeader(path, (_header, metadata) => (metadata.format_version = '999'))
    await expectCorrupt(
      path,
      /format version "999"; this version of CLLM Studio reads format version 1 only \(the file was written by a newer version\)/,
    )
  })

  it('a safetensors file that is not a CLLM checkpoint', async () => {
    await rewriteHeader(path, (_header, metadata) => (metadata.format = 'pt'))
    await expectCorrupt(path, /not a CLLM checkpoint \(it has format "pt"/)
  })

  it('weights whose shapes do not match the config in the metadata', async () => {
    await rewriteHeader(
      path,
      (_header, metadata) =>
        (metadata.config = JSON.stringify({ model: { ...TINY, dModel: 32, nHeads: 4 } })),
      { resign: true },
    )
    await expectCorrupt(
      path,
      /tensor "wte\.weight" has shape \[300, 16\] but the config .*dModel 32.* needs \[300, 32\]/,
    )
  })

  it('tensors missing for the config', async () => {
    await rewriteHeader(
      path,
      (_header, metadata) => (metadata.config = JSON.stringify({ model: { ...TINY, nLayers: 3 } })),
      {
        resign: true,
      },
    )
    await expectCorrupt(
      path,
      /lacks 36 tensor\(s\) the model config needs: "h\.2\.ln_1\.weight", "h\.2\.ln_1\.bias", "h\.2\.attn\.c_attn\.weight" and 33 more/,
    )
  })

  it('a renamed tensor', async () => {
    await rewriteHeader(
      path,
      (header) => {
        const renamed: Record<string, unknown> = {}
        for (const [key, value] of Object.entries(header))
          renamed[key === 'ln_f.bias' ? 'ln_f.bias2' : key] = value
        for (const key of Object.keys(header)) delete header[key]
        Object.assign(header, renamed)
      },
      { resign: true },
    )
    await expectCorrupt(path, /lacks 1 tensor\(s\) the model config needs: "ln_f\.bias"/)
  })

  it('overlapping tensor offsets', async () => {
    await rewriteHeader(
      path,
      (header) => {
        const entry = header['wpe.weight'] as { data_offsets: number[] }
        entry.data_offsets = [entry.data_offsets[0] - 4, entry.data_offsets[1] - 4]
      },
      { resign: true },
    )
    await expectCorrupt(path, /tensors "wte\.weight" and "wpe\.weight" overlap/)
  })

  it('offsets beyond the end of the data', async () => {
    await rewriteHeader(
      path,
      (header) => {
        const entry = header['optimizer.v.ln_f.bias'] as { data_offsets: number[] }
        entry.data_offsets = [entry.data_offsets[0] + 64, entry.data_offsets[1] + 64]
      },
      { resign: true },
    )
    await expectCorrupt(path, /64 unaccounted bytes before tensor "optimizer\.v\.ln_f\.bias"/)
  })

  it('a tensor of another dtype', async () => {
    await rewriteHeader(
      path,
      (header) => ((header['wte.weight'] as { dtype: string }).dtype = 'F16'),
      { resign: true },
    )
    await expectCorrupt(path, /tensor "wte\.weight" has dtype "F16"/)
  })

  it('an invalid metadata field names it', async () => {
    await rewriteHeader(path, (_header, metadata) => (metadata.epoch = 'soon'), { resign: true })
    await expectCorrupt(path, /metadata field "epoch" is invalid/)
  })

  it('readCheckpointInfo refuses header damage too (without reading the tensors)', async () => {
    await rewriteHeader(path, (_header, metadata) => (metadata.format_version = '2'))
    const error = await refusal(readCheckpointInfo(path))
    expect(error).toBeInstanceOf(CorruptCheckpointError)
    expect(error.message).toMatch(/format version "2"/)
  })

  it('a missing file is not-found, not corrupt', async () => {
    const error = await refusal(loadCheckpoint(join(dir, 'nope.safetensors')))
    expect(error.code).toBe('not-found')
  })
})

describe('expectConfig', () => {
  it('refuses a checkpoint whose model differs from the one asked for, naming the field and the flag', async () => {
    const path = join(dir, 'a.safetensors')
    await saveCheckpoint(path, makeCheckpoint())
    const error = await refusal(loadCheckpoint(path, { expectConfig: { dModel: 32 } }))
    expect(error.code).toBe('invalid-config')
    expect(error.message).toBe(
      `Checkpoint ${path} was trained with embedding dimension (--embed-dim) 16, but 32 was asked for. ` +
        `Leave that setting at the checkpoint's value to resume, or start a new run.`,
    )
  })

  it('accepts a checkpoint matching every field given', async () => {
    const path = join(dir, 'a.safetensors')
    await saveCheckpoint(path, makeCheckpoint())
    await expect(loadCheckpoint(path, { expectConfig: TINY })).resolves.toBeDefined()
  })
})
