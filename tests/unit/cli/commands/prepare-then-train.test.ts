/**
 * One dataset: `cllm prepare` then `cllm train` with the same settings (the defaults, or the same
 * flags) encode the corpus once; the run trains on exactly the split prepare showed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareCommand } from '../../../../src/cli/commands/prepare'
import { train, type CliIo } from '../../../../src/cli/commands/train'
import { payloads, record, workspace, type Workspace } from '../../main/engine/session/fixtures'
import type { TrainingSession } from '../../../../src/main/engine/session'

let ws: Workspace
beforeAll(async () => {
  ws = await workspace(3, 150)
})
afterAll(async () => {
  await ws.cleanup()
})

const quiet: CliIo = { out: () => undefined, err: () => undefined }

describe('prepare, then train with the same settings', () => {
  it('reuses the prepared dataset (no tokenizer training, no encoding) and trains on the same split', async () => {
    const prepared = await prepareCommand(ws.corpus, { checkpointDir: ws.checkpoints, tokenizer: 'word', vocabSize: '80', threads: '1' }, () => undefined)
    expect(prepared.reused).toBe(false)

    let session: TrainingSession | undefined
    let events: ReturnType<typeof record> = []
    const finished = await train(
      ws.corpus,
      { checkpointDir: ws.checkpoints, tokenizer: 'word', vocabSize: 80, threads: 1, maxSteps: 2, embedDim: 16, numHeads: 2, numLayers: 1 },
      quiet,
      { onSession: (s) => ((session = s), (events = record(s))), session: { sample: false } },
    )
    expect(session).toBeDefined()
    expect(finished.state, finished.message).toBe('done')
    const phases = payloads(events, 'training.prepare')
    // A tokenizer being trained or a corpus being encoded would show its own progress phase line.
    expect(phases.some((p) => p.detail === 'Encoding the corpus')).toBe(false)
    expect(phases.find((p) => p.phase === 'dataset' && p.done)?.detail).toMatch(/from the cache$/)
    const started = payloads(events, 'training.started')[0]
    expect({ train: started.trainTokens, val: started.valTokens, vocab: started.tokenizer.vocabSize }).toEqual({
      train: prepared.summary.trainTokens,
      val: prepared.summary.valTokens,
      vocab: prepared.summary.vocabSize,
    })
  })
})
