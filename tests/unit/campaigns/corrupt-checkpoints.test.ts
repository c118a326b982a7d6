/**
 * Campaign 2: corrupt checkpoints. More than 500 damaged variants of one real checkpoint — byte
 * flips, truncations, header lies, contradictory metadata under recomputed checksums, non-finite
 * weights — are each loaded and verified. Every one must be refused with a clear reason: 0 crashes,
 * 0 hangs, 0 damaged files accepted.
 */
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  loadCheckpoint,
  saveCheckpoint,
  verifyCheckpoint,
} from '../../../src/main/engine/checkpoints'
import { headerChecksum } from '../../../src/main/engine/checkpoints/format'
import { UserError } from '../../../src/shared/errors'
import { makeCheckpoint, tempDir } from '../main/engine/checkpoints/fixtures'
import { seededUniform } from '../support/random'
import { Tally, within } from './tally'

type Header = Record<string, unknown> & { __metadata__: Record<string, string> }
type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] }

let dir: string
let cleanup: () => Promise<void>
let original: Buffer
let header: Header
let data: Buffer

beforeAll(async () => {
  ;({ dir, cleanup } = await tempDir())
  const path = join(dir, 'good.safetensors')
  await saveCheckpoint(path, makeCheckpoint())
  original = await readFile(path)
  const length = Number(original.readBigUInt64LE(0))
  header = JSON.parse(original.subarray(8, 8 + length).toString('utf8')) as Header
  data = original.subarray(8 + length)
})
afterAll(() => cleanup())

const clone = <T>(value: T): T => structuredClone(value)

/** A file from a header object and tensor bytes; with `resign` both checksums are recomputed. */
function build(h: Header, bytes: Buffer, resign: boolean): Buffer {
  if (resign) {
    h.__metadata__.checksum = createHash('sha256').update(bytes).digest('hex')
    h.__metadata__.header_checksum = headerChecksum(h)
  }
  const json = Buffer.from(JSON.stringify(h), 'utf8')
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(BigInt(json.length))
  return Buffer.concat([prefix, json, bytes])
}

function tensorNames(h: Header): string[] {
  return Object.keys(h).filter((key) => key !== '__metadata__')
}

describe('campaign 2: corrupt checkpoints', () => {
  it('refuses every one of 570 damaged variants with a reason: 0 crashes, 0 hangs, 0 accepted', async () => {
    const next = seededUniform(20261202)
    const int = (n: number) => Math.floor(next() * n)
    const variants: Array<[string, Buffer]> = []

    for (let i = 0; i < 150; i++) {
      const bytes = Buffer.from(original)
      const at = int(bytes.length)
      bytes[at] ^= 1 + int(255)
      variants.push([`flip byte ${at}`, bytes])
    }
    for (let i = 0; i < 100; i++) {
      const length = int(original.length)
      variants.push([`truncated to ${length}`, original.subarray(0, length)])
    }
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.from(original)
      const lie = [
        BigInt(int(2 ** 31)),
        2n ** 63n + BigInt(int(1000)),
        BigInt(original.length - int(64)),
        0n,
        1n,
      ][i % 5]
      bytes.writeBigUInt64LE(lie, 0)
      variants.push([`header length ${lie}`, bytes])
    }
    // Header lies, checksums left as they were.
    const lies: Array<[string, (h: Header) => void]> = [
      [
        'shape',
        (h) => ((h[tensorNames(h)[int(tensorNames(h).length)]] as Entry).shape = [int(9), int(9)]),
      ],
      [
        'offsets',
        (h) =>
          ((h[tensorNames(h)[int(tensorNames(h).length)]] as Entry).data_offsets = [
            int(1e6),
            int(1e6),
          ]),
      ],
      ['dtype', (h) => ((h[tensorNames(h)[int(tensorNames(h).length)]] as Entry).dtype = 'F16')],
      ['step', (h) => (h.__metadata__.step = String(int(1000)))],
      ['config', (h) => (h.__metadata__.config = '{"model":{}}')],
      ['format', (h) => (h.__metadata__.format = 'other')],
    ]
    for (let i = 0; i < 100; i++) {
      const [what, lie] = lies[i % lies.length]
      const h = clone(header)
      lie(h)
      variants.push([`header lie (${what})`, build(h, data, false)])
    }
    // Contradictions whose checksums were recomputed after the edit: only consistency can tell.
    const contradictions: Array<[string, (h: Header) => void]> = [
      ['step vs optimizer_step', (h) => (h.__metadata__.step = String(8 + int(100)))],
      ['optimizer_step vs step', (h) => (h.__metadata__.optimizer_step = String(100 + int(100)))],
      ['tokenizer_kind word on a BPE tokenizer', (h) => (h.__metadata__.tokenizer_kind = 'word')],
      [
        'offsets of two same-shaped tensors swapped',
        (h) => {
          const names = tensorNames(h).filter(
            (name) => /\.ln_1\.(weight|bias)$/.test(name) && !name.startsWith('optimizer'),
          )
          const [a, b] = [h[names[0]] as Entry, h[names[1]] as Entry]
          ;[a.data_offsets, b.data_offsets] = [b.data_offsets, a.data_offsets]
        },
      ],
      [
        'offsets overlapping',
        (h) => {
          const names = tensorNames(h)
          const entry = h[names[1 + int(names.length - 1)]] as Entry
          entry.data_offsets = [entry.data_offsets[0] - 4, entry.data_offsets[1] - 4]
        },
      ],
      [
        'shapes vs config (vocabulary)',
        (h) => {
          const config = JSON.parse(h.__metadata__.config) as { model: { vocabSize: number } }
          config.model.vocabSize += 1 + int(50)
          h.__metadata__.config = JSON.stringify(config)
        },
      ],
    ]
    for (let i = 0; i < 120; i++) {
      const [what, edit] = contradictions[i % contradictions.length]
      const h = clone(header)
      edit(h)
      variants.push([`resigned ${what}`, build(h, data, true)])
    }
    // Non-finite weights (or moments), checksums recomputed.
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.from(data)
      const at = int(bytes.length / 4) * 4
      bytes.writeFloatLE(values[i % 3], at)
      variants.push([`non-finite value at data byte ${at}`, build(clone(header), bytes, true)])
    }

    const tally = new Tally('corrupt checkpoints')
    // A load or verify that has not settled in 5 s is a hang: 20× the slowest measured on this 2-core
    // machine (0.25 s), so a loaded machine does not turn into a false hang.
    const path = join(dir, 'variant.safetensors')
    for (const [what, bytes] of variants) {
      await writeFile(path, bytes)
      const loaded = await within(loadCheckpoint(path), 5000)
      if (!loaded.settled) {
        tally.record('hang', what)
        continue
      }
      if ('value' in loaded) {
        tally.record('escape', `${what}: loaded`)
        continue
      }
      const error = loaded.error
      if (!(error instanceof UserError) || error.message.includes('\n')) {
        tally.record('crash', `${what}: ${String(error)}`)
        continue
      }
      const verdict = await within(verifyCheckpoint(path), 5000)
      const refusedByVerify =
        verdict.settled &&
        (('value' in verdict && verdict.value.status === 'corrupt') ||
          ('error' in verdict && verdict.error instanceof UserError))
      tally.record(
        refusedByVerify ? 'refused' : 'escape',
        `${what}: verify said ${JSON.stringify(verdict)}`,
      )
    }
    const failures = tally.report()
    expect(tally.trials).toBeGreaterThanOrEqual(500)
    expect(failures).toEqual([])
    expect(tally.refused).toBe(tally.trials)

    // The untouched file still loads: the campaign refuses damage, not checkpoints.
    await writeFile(path, original)
    await expect(loadCheckpoint(path)).resolves.toBeDefined()
  })
})
