/**
 * Campaign 7: shapes and contradictions read from files (issue 19). Checkpoints whose metadata
 * claims an impossible model (1e8 or 1e6 layers, a huge embedding, vocabulary or context), with
 * both checksums recomputed, are read, loaded, listed and served; Hugging Face folders whose
 * config.json claims the same, whose safetensors lie about offsets or hold NaN/Inf, whose
 * tokenizer repeats an id or holds an id of 1e12, and a 2.1 GB (sparse) weights file; checkpoints
 * whose tokenizer, sampler or AdamW second moment contradict the rest. Judged: each refused with a
 * sentence naming the file and the field, fast (settled within 30 s, no model built), never a
 * crash, and a listing of a folder holding them still answers.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi } from '../../../src/main/engine/api/engine-api'
import { listRuns, loadCheckpoint, readCheckpointInfo } from '../../../src/main/engine/checkpoints'
import { exportHuggingFace } from '../../../src/main/engine/checkpoints/export-hf'
import { headerChecksum } from '../../../src/main/engine/checkpoints/format'
import { importHuggingFace } from '../../../src/main/engine/checkpoints/import-hf'
import { parseTokenizer } from '../../../src/main/engine/tokenizer'
import { UserError } from '../../../src/shared/errors'
import { trainTinyRun } from './fixtures'
import { Tally, within } from './tally'

type Header = Record<string, unknown> & { __metadata__: Record<string, string> }
type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] }

let base: string
let checkpoints: string
let good: string
let hf: string

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'cllm-shapes-'))
  checkpoints = join(base, 'checkpoints')
  good = await trainTinyRun(join(base, 'corpus'), checkpoints, 'good', 'shapes and sizes and the words that a small model learns from a page.\n')
  hf = join(base, 'hf')
  await exportHuggingFace(good, hf)
}, 120_000)

afterAll(() => rmSync(base, { recursive: true, force: true }))

function readParts(path: string): { header: Header; data: Buffer } {
  const bytes = readFileSync(path)
  const length = Number(bytes.readBigUInt64LE(0))
  return { header: JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Header, data: Buffer.from(bytes.subarray(8 + length)) }
}

/** A checkpoint (or safetensors file) from a header and data, both checksums recomputed where present. */
function writeParts(path: string, header: Header, data: Buffer, resign = true): void {
  if (resign && header.__metadata__?.checksum !== undefined) {
    header.__metadata__.checksum = createHash('sha256').update(data).digest('hex')
    header.__metadata__.header_checksum = headerChecksum(header)
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const prefix = Buffer.alloc(8)
  prefix.writeBigUInt64LE(BigInt(json.length))
  writeFileSync(path, Buffer.concat([prefix, json, data]))
}

/** One trial: `attempt` must be refused with a UserError whose message names `file`, within 30 s. */
async function expectRefused(tally: Tally, name: string, file: string, attempt: () => Promise<unknown>, field?: RegExp): Promise<void> {
  const settled = await within(attempt(), 30_000)
  if (!settled.settled) return tally.record('hang', name)
  if ('value' in settled) return tally.record('escape', `${name}: accepted`)
  const error = (settled as { error: unknown }).error
  if (!(error instanceof UserError)) return tally.record('crash', `${name}: ${String(error)}`)
  if (!error.message.includes(file)) return tally.record('crash', `${name}: the message does not name ${file}: ${error.message}`)
  if (field && !field.test(error.message)) return tally.record('crash', `${name}: the message does not name the field: ${error.message}`)
  if (process.env.CLLM_CAMPAIGN_VERBOSE) console.log(`${name}: ${error.message}`)
  tally.record('refused', name)
}

describe('campaign 7: shapes and contradictions from files', () => {
  it('refuses impossible checkpoint shapes before building anything, in loading, listing and serving', async () => {
    const tally = new Tally('metadata shapes (checkpoints)')
    const folder = join(checkpoints, 'forged')
    mkdirSync(folder)
    copyFileSync(join(checkpoints, 'good', 'run.json'), join(folder, 'run.json'))
    const shapes: Array<[string, Record<string, number>]> = [
      ['nLayers 1e8', { nLayers: 1e8 }],
      ['nLayers 1e6', { nLayers: 1e6 }],
      ['nLayers 2000', { nLayers: 2000 }],
      ['dModel 1e6', { dModel: 1e6, nHeads: 1 }],
      ['vocabSize 1e9', { vocabSize: 1e9 }],
      ['seqLen 1e7', { seqLen: 1e7 }],
      ['nHeads 0', { nHeads: 0 }],
      ['nLayers 1.5', { nLayers: 1.5 }],
      ['4096 × 48 layers (over 4 GiB)', { dModel: 4096, nLayers: 48, nHeads: 32 }],
    ]
    for (const [index, [name, change]] of shapes.entries()) {
      const { header, data } = readParts(good)
      const config = JSON.parse(header.__metadata__.config) as { model: Record<string, number> }
      Object.assign(config.model, change)
      header.__metadata__.config = JSON.stringify(config)
      const file = join(folder, `checkpoint_step_${index + 1}.safetensors`)
      writeParts(file, header, data)
      await expectRefused(tally, `load ${name}`, file, () => loadCheckpoint(file), /config|nLayers|dModel|vocabSize|seqLen|nHeads/)
      await expectRefused(tally, `header ${name}`, file, () => readCheckpointInfo(file), /config|nLayers|dModel|vocabSize|seqLen|nHeads/)
    }
    // A 1.9 GB sparse file named like a checkpoint: refused by its header, its gigabytes never read.
    const sparse = join(folder, 'checkpoint_step_100.safetensors')
    writeFileSync(sparse, '')
    truncateSync(sparse, Math.round(1.9 * 1024 ** 3))
    await expectRefused(tally, 'load a 1.9 GB sparse file', sparse, () => loadCheckpoint(sparse), /header/)
    // Listing the folder holding all of them: answers, with each one marked damaged.
    const listing = await within(listRuns(checkpoints), 30_000)
    const forged = listing.settled && 'value' in listing ? listing.value.runs.find((run) => run.name === 'forged') : undefined
    tally.record(forged && forged.checkpoints.every((c) => c.status !== 'ok') && forged.checkpoints.length === shapes.length + 1 ? 'ok' : 'crash', 'cllm checkpoints lists the forged run, every checkpoint refused')
    const api = createEngineApi({ transport: 'websocket', version: 'test', sampleCorpus: base, checkpointDir: checkpoints, mayRead: () => false })
    try {
      const served = await within(api.dispatch('runs.list', {}, { transport: 'test' }), 30_000)
      tally.record(served.settled && 'value' in served && served.value.ok ? 'ok' : 'crash', 'runs.list over the engine API answers')
      const info = await within(api.dispatch('app.info', {}, { transport: 'test' }), 30_000)
      tally.record(info.settled && 'value' in info && info.value.ok ? 'ok' : 'crash', 'app.info answers after')
    } finally {
      await api.shutdown()
    }
    rmSync(folder, { recursive: true })
    expect(tally.report()).toEqual([])
    expect(tally.crashes + tally.hangs + tally.escapes).toBe(0)
  }, 300_000)

  it('refuses contradictions inside a checkpoint: tokenizer against config, sampler against config, a negative second moment', async () => {
    const tally = new Tally('metadata contradictions (checkpoints)')
    const folder = join(base, 'contradictions')
    mkdirSync(folder)

    // A tokenizer one token larger than the config (one more merge and its token): it parses, its size contradicts.
    {
      const { header, data } = readParts(good)
      const tokenizer = JSON.parse(header.__metadata__.tokenizer) as { model: { vocab: Record<string, number>; merges: unknown[] }; added_tokens?: Array<{ id: number }> }
      const vocab = tokenizer.model.vocab
      const next = 1 + Math.max(...Object.values(vocab), ...(tokenizer.added_tokens ?? []).map((t) => t.id))
      const spellings = Object.keys(vocab)
      const [left, right] = spellings.flatMap((a) => spellings.map((b) => [a, b])).find(([a, b]) => vocab[a + b] === undefined)!
      vocab[left + right] = next
      tokenizer.model.merges.push(typeof tokenizer.model.merges[0] === 'string' ? `${left} ${right}` : [left, right])
      const text = JSON.stringify(tokenizer)
      const larger = parseTokenizer(text, 'the edited tokenizer').vocabSize
      expect(larger).toBe(301) // the edit is a usable tokenizer of 301 tokens
      header.__metadata__.tokenizer = text
      const file = join(folder, 'tokenizer.safetensors')
      writeParts(file, header, data)
      await expectRefused(tally, 'a larger tokenizer than the config', file, () => loadCheckpoint(file), /tokenizer has 301 tokens but config vocabSize is 300/)
    }
    // A sampler seqLen against the config's.
    {
      const { header, data } = readParts(good)
      const sampler = JSON.parse(header.__metadata__.sampler) as { seqLen: number }
      sampler.seqLen = 16
      header.__metadata__.sampler = JSON.stringify(sampler)
      const file = join(folder, 'sampler.safetensors')
      writeParts(file, header, data)
      await expectRefused(tally, 'a sampler seqLen against the config', file, () => loadCheckpoint(file), /sampler\.seqLen/)
    }
    // A negative AdamW second moment, and NaN / Inf weights.
    for (const [name, tensorPrefix, value, field] of [
      ['a negative second moment', 'optimizer.v.', -1, /negative second moment/],
      ['a NaN weight', 'h.0.mlp.c_fc.weight', Number.NaN, /NaN or infinite/],
      ['an infinite weight', 'wte.weight', Number.POSITIVE_INFINITY, /NaN or infinite/],
    ] as const) {
      const { header, data } = readParts(good)
      const tensor = Object.entries(header).find(([key]) => key.startsWith(tensorPrefix))!
      const [begin] = (tensor[1] as Entry).data_offsets
      data.writeFloatLE(value, begin + 4)
      const file = join(folder, `${name.replace(/\W+/g, '-')}.safetensors`)
      writeParts(file, header, data)
      await expectRefused(tally, name, file, () => loadCheckpoint(file), field)
    }
    expect(tally.report()).toEqual([])
    expect(tally.crashes + tally.hangs + tally.escapes).toBe(0)
  }, 120_000)

  it('refuses Hugging Face folders with impossible shapes, lying offsets, non-finite weights, bad token ids, oversized weights', async () => {
    const tally = new Tally('metadata shapes (Hugging Face imports)')
    const control = await within(importHuggingFace(hf), 30_000)
    tally.record(control.settled && 'value' in control ? 'ok' : 'crash', 'the untouched export imports')
    let trial = 0
    /** A copy of the export with one file changed. */
    const variant = (name: string, contents: (original: Buffer) => Buffer | string): string => {
      const dir = join(base, `hf-${trial++}`)
      mkdirSync(dir)
      for (const file of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(hf, file), join(dir, file))
      writeFileSync(join(dir, name), contents(readFileSync(join(hf, name))))
      return dir
    }
    const config = JSON.parse(readFileSync(join(hf, 'config.json'), 'utf8')) as Record<string, unknown>
    for (const [label, change] of [
      ['n_layer 1e8', { n_layer: 1e8 }],
      ['n_layer 1e6', { n_layer: 1e6 }],
      ['n_embd 1e6', { n_embd: 1e6, n_head: 1 }],
      ['vocab_size 1e9', { vocab_size: 1e9 }],
      ['n_positions 1e7', { n_positions: 1e7 }],
    ] as const) {
      const dir = variant('config.json', () => JSON.stringify({ ...config, ...change }))
      await expectRefused(tally, `config.json ${label}`, join(dir, 'config.json'), () => importHuggingFace(dir), /n_layer|n_embd|vocab|n_positions|nLayers|dModel|vocabSize|seqLen|parameters/)
    }
    const weights = readParts(join(hf, 'model.safetensors'))
    const names = Object.keys(weights.header).filter((key) => key !== '__metadata__')
    const reweigh = (edit: (header: Header, data: Buffer) => void) => (): Buffer => {
      const header = structuredClone(weights.header)
      const data = Buffer.from(weights.data)
      edit(header, data)
      const json = Buffer.from(JSON.stringify(header), 'utf8')
      const prefix = Buffer.alloc(8)
      prefix.writeBigUInt64LE(BigInt(json.length))
      return Buffer.concat([prefix, json, data])
    }
    const safetensorsTrials: Array<[string, () => Buffer, RegExp]> = [
      ['overlapping offsets', reweigh((h) => {
        const a = h[names[0]] as Entry
        const b = h[names[1]] as Entry
        b.data_offsets = [a.data_offsets[0], a.data_offsets[0] + (b.data_offsets[1] - b.data_offsets[0])]
      }), /overlap/],
      ['an offset beyond the file', reweigh((h) => {
        const a = h[names[2]] as Entry
        a.data_offsets = [a.data_offsets[0] + 1e9, a.data_offsets[1] + 1e9]
      }), /outside the file/],
      ['a NaN weight', reweigh((h, data) => data.writeFloatLE(Number.NaN, (h[names[3]] as Entry).data_offsets[0])), /NaN/],
      ['an infinite weight', reweigh((h, data) => data.writeFloatLE(Number.NEGATIVE_INFINITY, (h[names[4]] as Entry).data_offsets[0])), /Infinity/],
    ]
    for (const [label, make, field] of safetensorsTrials) {
      const dir = variant('model.safetensors', make)
      await expectRefused(tally, `model.safetensors with ${label}`, join(dir, 'model.safetensors'), () => importHuggingFace(dir), field)
    }
    const tokenizer = JSON.parse(readFileSync(join(hf, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }
    const [first, second] = Object.keys(tokenizer.model.vocab)
    for (const [label, edit, field] of [
      ['a duplicate token id', (vocab: Record<string, number>) => (vocab[second] = vocab[first]), /share id/],
      ['a token id of 1e12', (vocab: Record<string, number>) => (vocab[second] = 1e12), /id 1000000000000/],
    ] as const) {
      const copy = structuredClone(tokenizer)
      edit(copy.model.vocab)
      const dir = variant('tokenizer.json', () => JSON.stringify(copy))
      await expectRefused(tally, `tokenizer.json with ${label}`, join(dir, 'tokenizer.json'), () => importHuggingFace(dir), field)
    }
    // Weights over 2 GiB (sparse: nothing on disk): refused by size, never read.
    const big = variant('model.safetensors', (original) => original)
    truncateSync(join(big, 'model.safetensors'), Math.round(2.1 * 1024 ** 3))
    await expectRefused(tally, 'a 2.1 GB model.safetensors', join(big, 'model.safetensors'), () => importHuggingFace(big), /GiB/)
    expect(tally.report()).toEqual([])
    expect(tally.crashes + tally.hangs + tally.escapes).toBe(0)
  }, 300_000)
})
