/** Test checkpoints built directly: random tensors with GPT-2's names and shapes for a config. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CheckpointInput } from '../../../../../src/main/engine/checkpoints'
import { headerChecksum } from '../../../../../src/main/engine/checkpoints/format'
import { paramTensorLayout } from '../../../../../src/main/engine/checkpoints/gpt2-layout'
import type {
  ModelConfig,
  NamedTensor,
  TrainerState,
} from '../../../../../src/main/engine/model/trainer'
import { seededUniform } from '../../../support/random'

export const TINY: ModelConfig = { vocabSize: 300, seqLen: 8, dModel: 16, nLayers: 2, nHeads: 4 }

/** Seeded uniform numbers for test data, so failures reproduce. */
export const random = seededUniform

/** The GPT-2 parameter list for a config, written out independently of the code under test. */
export function gpt2Shapes(c: ModelConfig): Array<[string, number[]]> {
  const D = c.dModel
  const shapes: Array<[string, number[]]> = [
    ['wte.weight', [c.vocabSize, D]],
    ['wpe.weight', [c.seqLen, D]],
  ]
  for (let i = 0; i < c.nLayers; i++) {
    shapes.push(
      [`h.${i}.ln_1.weight`, [D]],
      [`h.${i}.ln_1.bias`, [D]],
      [`h.${i}.attn.c_attn.weight`, [D, 3 * D]],
      [`h.${i}.attn.c_attn.bias`, [3 * D]],
      [`h.${i}.attn.c_proj.weight`, [D, D]],
      [`h.${i}.attn.c_proj.bias`, [D]],
      [`h.${i}.ln_2.weight`, [D]],
      [`h.${i}.ln_2.bias`, [D]],
      [`h.${i}.mlp.c_fc.weight`, [D, 4 * D]],
      [`h.${i}.mlp.c_fc.bias`, [4 * D]],
      [`h.${i}.mlp.c_proj.weight`, [4 * D, D]],
      [`h.${i}.mlp.c_proj.bias`, [D]],
    )
  }
  shapes.push(['ln_f.weight', [D]], ['ln_f.bias', [D]])
  return shapes
}

function randomTensors(
  config: ModelConfig,
  next: () => number,
  scale: number,
  offset = 0,
): NamedTensor[] {
  return gpt2Shapes(config).map(([name, shape]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
    for (let i = 0; i < data.length; i++) data[i] = (next() - 0.5) * scale + offset
    return { name, shape, data }
  })
}

export function makeState(config: ModelConfig, seed = 1, step = 7): TrainerState {
  const next = random(seed)
  return {
    step,
    params: randomTensors(config, next, 0.2),
    adamM: randomTensors(config, next, 0.01),
    adamV: randomTensors(config, next, 1e-4, 1e-4),
  }
}

/** A minimal byte-level BPE tokenizer.json: 256 byte tokens then `<|endoftext|>` as id 256. */
export function tokenizerJson(): string {
  const vocab: Record<string, number> = {}
  for (let i = 0; i < 256; i++) vocab[`b${i}`] = i
  return JSON.stringify({
    version: '1.0',
    added_tokens: [{ id: 256, content: '<|endoftext|>', special: true }],
    model: { type: 'BPE', vocab, merges: [] },
  })
}

/** A tiny Llama (grouped-query attention, rows of 32 so Q8_0 applies everywhere). */
export const LLAMA_TINY: ModelConfig = {
  architecture: 'llama', vocabSize: 300, seqLen: 8, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 64,
  normEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: true, qkvBias: false,
}

/** Random weights and moments under the layout of any architecture (a Llama config's included). */
export function makeLayoutState(config: ModelConfig, seed = 1, step = 7): TrainerState {
  const next = random(seed)
  const tensors = (scale: number, offset = 0): NamedTensor[] =>
    paramTensorLayout(config).map(({ name, shape }) => {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
      for (let i = 0; i < data.length; i++) data[i] = (next() - 0.5) * scale + offset
      return { name, shape, data }
    })
  return { step, params: tensors(0.2), adamM: tensors(0.01), adamV: tensors(1e-4, 1e-4) }
}

/** tokenizerJson() with GPT-2's pre-tokenizer declared, as every tokenizer trained here has. */
export function gpt2TokenizerJson(): string {
  const json = JSON.parse(tokenizerJson()) as Record<string, unknown>
  return JSON.stringify({ ...json, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true } })
}

export function makeCheckpoint(
  config: ModelConfig = TINY,
  options: {
    seed?: number
    step?: number
    valLoss?: number | null
    tokenizerKind?: 'bpe' | 'word'
  } = {},
): CheckpointInput {
  const step = options.step ?? 7
  const valLoss = options.valLoss === undefined ? 4.25 : options.valLoss
  return {
    metadata: {
      config: {
        model: config,
        training: { batchSize: 4, learningRate: 0.001 },
        adamw: { beta1: 0.9, beta2: 0.999 },
      },
      tokenizerKind: options.tokenizerKind ?? 'bpe',
      tokenizer: options.tokenizerKind === 'word' ? '<PAD>\t0\n<UNK>\t0\n' : tokenizerJson(),
      step,
      epoch: 1.5,
      sampler: { cursor: 1234, order: [3, 1, 2] },
      rng: { state: [1, 2, 3, 4] },
      losses: {
        train: 4.5,
        val: valLoss,
        recentTrain: [{ step, loss: 4.5 }],
        recentVal: valLoss === null ? [] : [{ step, loss: valLoss }],
      },
      created: '2026-11-27T11:07:00.000Z',
      corpusFingerprint: 'sha256:abc',
    },
    state: config.architecture === 'llama' ? makeLayoutState(config, options.seed ?? 1, step) : makeState(config, options.seed ?? 1, step),
  }
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cllm-ckpt-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * Rewrites a checkpoint's header with `mutate`, keeping the tensor bytes. With `resign` the header
 * checksum is recomputed, as a writer with a bug (or a deliberate forger) would produce.
 */
export async function rewriteHeader(
  path: string,
  mutate: (header: Record<string, unknown>, metadata: Record<string, string>) => void,
  options: { resign?: boolean } = {},
): Promise<void> {
  const bytes = await readFile(path)
  const length = Number(bytes.readBigUInt64LE(0))
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    unknown
  >
  const metadata = header.__metadata__ as Record<string, string>
  mutate(header, metadata)
  if (options.resign) metadata.header_checksum = headerChecksum(header)
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const padded = Math.ceil(json.length / 8) * 8
  const prefix = Buffer.alloc(8 + padded, 0x20)
  prefix.writeBigUInt64LE(BigInt(padded), 0)
  json.copy(prefix, 8)
  await writeFile(path, Buffer.concat([prefix, bytes.subarray(8 + length)]))
}
