/** A tiny BPE model really trained for a few steps on a passage it memorises (a real checkpoint, real tokenizer). */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createSession } from '../../../../../src/main/engine/session'
import { workspace, type Workspace } from '../session/fixtures'

/** A passage the tiny model memorises, so its greedy continuation is text, not one token repeated. */
export const PASSAGE =
  'The old lighthouse keeper climbed the stairs each evening, counting one hundred and twelve steps. ' +
  'At the top he wound the clock, trimmed the wick, and wrote the weather in his book: wind from the west, ' +
  'three boats in the harbour, gulls asleep on the rocks. Then he lit the lamp and watched the sea.\n'

export const TRAINED_SEQ_LEN = 64

export interface TrainedModel {
  ws: Workspace
  checkpoint: string
}

/** Trains vocab 320, embed 32, 2 layers, 2 heads, context 64 on PASSAGE × 90 for `steps` steps. */
export async function trainedModel(steps = 120): Promise<TrainedModel> {
  const ws = await workspace(0)
  for (let i = 0; i < 3; i++) await writeFile(join(ws.corpus, `passage${i}.txt`), PASSAGE.repeat(30))
  const session = await createSession({
    folder: ws.corpus,
    sample: false,
    config: {
      model: { vocabSize: 320, embedDim: 32, numLayers: 2, numHeads: 2, seqLen: TRAINED_SEQ_LEN },
      training: { tokenizer: 'bpe', threads: 2, maxSteps: steps, learningRate: 0.02, batchSize: 4, warmup: 10 },
      paths: { checkpointDir: ws.checkpoints, runName: 'trained' },
    },
  })
  const finished = await session.run()
  if (finished.state !== 'done' || !finished.checkpoint) throw new Error(`tiny run failed: ${finished.message}`)
  return { ws, checkpoint: finished.checkpoint }
}
