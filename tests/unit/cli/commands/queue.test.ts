import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queueCommand } from '../../../../src/cli/commands/queue'
import { listRunSummaries } from '../../../../src/main/engine/runs'
import { workspace, type Workspace } from '../../main/engine/session/fixtures'

let ws: Workspace
beforeAll(async () => {
  ws = await workspace(2, 80)
})
afterAll(async () => {
  await ws.cleanup()
})

const tiny = (learningRate: number, numHeads = 2) => ({
  model: { vocabSize: 48, embedDim: 16, numLayers: 1, numHeads, seqLen: 8 },
  training: { tokenizer: 'word', threads: 1, maxSteps: 3, batchSize: 2, learningRate },
  paths: { checkpointDir: 'checkpoints' },
})

describe('cllm queue', () => {
  it('runs the configurations one after another; a refused one does not stop the rest', async () => {
    const file = join(ws.root, 'queue.json')
    // Folders and the checkpoint folder relative to the file; the second run's heads do not divide its embedding.
    await writeFile(file, JSON.stringify([
      { folder: 'corpus', config: tiny(0.001) },
      { folder: 'corpus', config: tiny(0.001, 3) },
      { folder: 'corpus', config: tiny(0.003) },
    ]))
    const out: string[] = []
    const results = await queueCommand(file, {}, { out: (t) => out.push(t), err: () => undefined }, { sample: false })
    expect(results.map((r) => r.state)).toEqual(['done', 'failed', 'done'])
    expect(results[1].message).toMatch(/numHeads/)
    expect(out.join('')).toMatch(/^Run 2: failed — /m)
    const runs = (await listRunSummaries(ws.checkpoints)).runs
    expect(runs.map((r) => [r.status, (r.info?.config as unknown as { training: { learningRate: number } }).training.learningRate])).toEqual([
      ['done', 0.001],
      ['done', 0.003],
    ])
  })

  it('refuses a file that is not a list of runs, in one sentence', async () => {
    const file = join(ws.root, 'bad.json')
    await writeFile(file, '{"folder": "corpus"}')
    await expect(queueCommand(file, {}, { out: () => undefined, err: () => undefined })).rejects.toThrow(/^Queue file .*bad\.json: must be a JSON list of runs/)
  })
})
