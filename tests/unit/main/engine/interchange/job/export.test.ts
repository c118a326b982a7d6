/**
 * Writing a job folder (src/main/engine/interchange/job): what it holds, that it starts exactly where
 * the studio's run is, that it names the parent without locating it, and what it refuses.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCheckpoint, readCheckpointInfo, readRunJson } from '../../../../../../src/main/engine/checkpoints'
import {
  exportJobFromCheckpoint,
  exportJobFromConfig,
  type JobFromConfigResult,
} from '../../../../../../src/main/engine/interchange/job'
import { assertJobArchitecture } from '../../../../../../src/main/engine/interchange/job/write-job'
import { createSession } from '../../../../../../src/main/engine/session'
import { UserError } from '../../../../../../src/shared/errors'
import type { RunConfigInput } from '../../../../../../src/shared/training'
import { chatWorkspace, tinyChatCheckpoint } from '../../chat/chat-fixtures'
import { workspace, type Workspace } from '../../session/fixtures'

let ws: Workspace
let fromConfig: JobFromConfigResult
let trained: string

const config = (): RunConfigInput => ({
  model: { vocabSize: 64, embedDim: 16, numLayers: 1, numHeads: 2, seqLen: 8 },
  training: { tokenizer: 'word', batchSize: 4, maxSteps: 6, threads: 1, checkpointInterval: 3, evalInterval: 3 },
})

beforeAll(async () => {
  ws = await workspace(3, 120)
  fromConfig = await exportJobFromConfig({ folder: ws.corpus, config: config(), outDir: join(ws.root, 'job0'), checkpointDir: ws.checkpoints })
  const session = await createSession({
    folder: ws.corpus,
    sample: false,
    config: { ...config(), paths: { checkpointDir: ws.checkpoints, runName: 'trained' } },
  })
  const finished = await session.run()
  expect(finished.state, finished.message).toBe('done')
  trained = join(finished.runDir!, 'checkpoint_step_3.safetensors')
}, 60_000)

afterAll(async () => {
  await ws?.cleanup()
})

describe('exportJobFromConfig', () => {
  it('prepares the run as a run here would (stopped at step 0) and writes the job from it', async () => {
    const run = await readRunJson(fromConfig.runDir)
    expect((run as { ended?: unknown }).ended).toMatchObject({ reason: 'stopped', step: 0 })
    expect(fromConfig.checkpoint).toBe(join(fromConfig.runDir, 'checkpoint_step_0.safetensors'))
    expect(readdirSync(fromConfig.outDir).sort()).toEqual([
      'README.md', 'config.json', 'dataset.json', 'job.json', 'requirements.txt', 'safetensors_io.py',
      'start.safetensors', 'train.bin', 'train.py', 'val.bin', 'vocab.txt',
    ])
    expect(fromConfig.files.map((f) => f.name)).toEqual(readdirSync(fromConfig.outDir).sort())
    const job = JSON.parse(readFileSync(join(fromConfig.outDir, 'job.json'), 'utf8'))
    expect(job).toMatchObject({ format: 'cllm-job', formatVersion: 1, step: 0, start: 'start.safetensors', tokenizer: { kind: 'word', file: 'vocab.txt' } })
    expect(job.parent).toMatchObject({ runDir: null, runName: basename(fromConfig.runDir), checkpoint: 'checkpoint_step_0.safetensors', step: 0 })
    expect(readFileSync(join(fromConfig.outDir, 'README.md'), 'utf8')).toContain(`continues the CLLM Studio run **${basename(fromConfig.runDir)}**`)
  })

  it("holds the run's token ranges as they are in its dataset, and the sampler's place", () => {
    const dataset = JSON.parse(readFileSync(join(fromConfig.outDir, 'dataset.json'), 'utf8'))
    const stream = readFileSync(join(fromConfig.runDir, 'tokens.bin'))
    const width = dataset.dtype === 'uint16' ? 2 : 4
    expect(dataset.dtype).toBe('uint16')
    for (const part of [dataset.train, dataset.validation]) {
      const bytes = readFileSync(join(fromConfig.outDir, part.file))
      expect(bytes.length).toBe(part.count * width)
      expect(bytes.equals(stream.subarray(part.start * width, part.end * width))).toBe(true)
    }
    expect(dataset.sampler).toEqual({ version: 1, range: { start: dataset.train.start, end: dataset.train.end }, seqLen: 8, batchSize: 4, seed: 42, drawn: 0 })
  })
})

describe('exportJobFromCheckpoint', () => {
  it('starts the job with the checkpoint\'s weights, moments and step, and no path of this machine', async () => {
    const out = join(ws.root, 'job3')
    const result = await exportJobFromCheckpoint({ checkpoint: trained, outDir: out })
    expect(result.step).toBe(3)
    const source = await readCheckpointInfo(trained)
    const start = await loadCheckpoint(join(out, 'start.safetensors'))
    expect((await readCheckpointInfo(join(out, 'start.safetensors'))).checksum).toBe(source.checksum) // same tensor bytes
    expect(start.state.step).toBe(3)
    expect(start.metadata.sampler).toEqual(source.metadata.sampler)
    expect((start.metadata.config as { paths?: unknown }).paths).toBeUndefined()
    const dataset = JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8'))
    expect(dataset.sampler.drawn).toBe(12)
    for (const file of readdirSync(out)) {
      const text = readFileSync(join(out, file)).toString('latin1')
      for (const path of [ws.root, process.cwd()]) expect(text.includes(path), `${file} holds ${path}`).toBe(false)
    }
  })

  it('refuses a non-empty folder, a file or a link as the destination, and writes nothing', async () => {
    const full = join(ws.root, 'full')
    await mkdir(full)
    await writeFile(join(full, 'mine.txt'), 'keep me')
    const file = join(ws.root, 'a-file')
    await writeFile(file, 'x')
    const empty = join(ws.root, 'empty')
    await mkdir(empty)
    const link = join(ws.root, 'link')
    await symlink(empty, link)
    const before = readdirSync(ws.root).sort()
    for (const [outDir, message] of [[full, /is not empty/], [file, /is not a folder/], [link, /symbolic link/]] as const) {
      const attempt = exportJobFromCheckpoint({ checkpoint: trained, outDir })
      await expect(attempt).rejects.toThrow(UserError)
      await expect(exportJobFromCheckpoint({ checkpoint: trained, outDir })).rejects.toThrow(message)
    }
    expect(readdirSync(ws.root).sort()).toEqual(before)
    expect(readdirSync(full)).toEqual(['mine.txt'])
    expect(readdirSync(empty)).toEqual([])
  })

  it('takes a Llama run: its config (GQA, untied head, q/k/v biases) travels whole, and the README names the architecture', async () => {
    const llama: RunConfigInput = {
      ...config(),
      model: { ...config().model, architecture: 'llama', numKvHeads: 1, tiedEmbeddings: false, qkvBias: true },
    }
    const outDir = join(ws.root, 'llama-job')
    const result = await exportJobFromConfig({ folder: ws.corpus, config: llama, outDir, checkpointDir: join(ws.root, 'llama-runs') })
    const written = JSON.parse(readFileSync(join(outDir, 'config.json'), 'utf8'))
    expect(written.model).toMatchObject({ architecture: 'llama', nHeads: 2, nKvHeads: 1, tiedEmbeddings: false, qkvBias: true })
    const { state } = await loadCheckpoint(join(outDir, 'start.safetensors'))
    expect(state.params.map((t) => t.name)).toEqual(expect.arrayContaining(['lm_head.weight', 'model.layers.0.self_attn.k_proj.bias']))
    expect(readFileSync(join(outDir, 'README.md'), 'utf8')).toContain('Model: llama, 1 layers × 16 wide, 2 heads (1 key/value)')
    expect(result.step).toBe(0)
  })

  it('refuses, by name, an architecture train.py does not implement', () => {
    expect(() => assertJobArchitecture('gpt2', 'x')).not.toThrow()
    expect(() => assertJobArchitecture(undefined, 'x')).not.toThrow()
    expect(() => assertJobArchitecture('llama', 'x')).not.toThrow()
    expect(() => assertJobArchitecture('mamba', 'The run')).toThrow(
      /^The run is a mamba model; training elsewhere \(train\.py\) takes gpt2 and llama runs only\.$/,
    )
  })

  it('refuses a run on chat data (train.py has no answer mask nor conversation packing), writing nothing', async () => {
    const chat = await chatWorkspace(24)
    try {
      const checkpoint = await tinyChatCheckpoint(chat, 4)
      const out = join(chat.root, 'job')
      await expect(exportJobFromCheckpoint({ checkpoint, outDir: out })).rejects.toThrow(/is trained on chat data .* plain-text runs only/)
      expect(existsSync(out)).toBe(false)
      await expect(
        exportJobFromConfig({ folder: chat.data, config: { ...config(), training: { ...config().training, data: 'chat' } }, outDir: out, checkpointDir: chat.checkpoints }),
      ).rejects.toThrow(/is trained on chat data/)
      expect(existsSync(out)).toBe(false)
      // Under `auto` the corpus shows itself as chat only once the run is prepared: that run, made
      // only to be the job's parent, goes to the trash, and Runs holds what it held before.
      const runsBefore = readdirSync(chat.checkpoints).filter((name) => !name.startsWith('.')).sort()
      await expect(
        exportJobFromConfig({
          folder: chat.data,
          config: { model: { ...config().model, vocabSize: 300, seqLen: 64 }, training: { ...config().training, tokenizer: 'bpe' } },
          outDir: out,
          checkpointDir: chat.checkpoints,
        }),
      ).rejects.toThrow(/is trained on chat data/)
      expect(existsSync(out)).toBe(false)
      expect(readdirSync(chat.checkpoints).filter((name) => !name.startsWith('.')).sort()).toEqual(runsBefore)
      expect(readdirSync(join(chat.checkpoints, '.trash'))).toHaveLength(1)
    } finally {
      await chat.cleanup()
    }
  }, 120_000)

  it('refuses a checkpoint outside its run folder (the dataset is not there)', async () => {
    const loose = join(ws.root, 'loose.safetensors')
    await copyFile(trained, loose)
    await expect(exportJobFromCheckpoint({ checkpoint: loose, outDir: join(ws.root, 'never') })).rejects.toThrow(/is not inside a run folder/)
    expect(existsSync(join(ws.root, 'never'))).toBe(false)
    expect(readdirSync(dirname(loose)).some((name) => name.includes('.tmp-'))).toBe(false)
  })
})
