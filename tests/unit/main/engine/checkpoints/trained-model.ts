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

export interface LlamaVariant {
  /** Qwen2's shape: q/k/v biases (exported as Qwen2ForCausalLM / GGUF `qwen2`). */
  qkvBias: boolean
  tiedEmbeddings: boolean
  steps?: number
}

/**
 * The same passage learned by a tiny Llama: vocab 320, embed 32, 2 layers, 4 query / 2 key-value
 * heads (grouped-query), SwiGLU 64, context 64. The Qwen2-style variant also takes Qwen2's RMSNorm
 * epsilon and rotary base, so that both reach the exports.
 */
export async function trainedLlama(variant: LlamaVariant): Promise<TrainedModel> {
  const ws = await workspace(0)
  for (let i = 0; i < 3; i++) await writeFile(join(ws.corpus, `passage${i}.txt`), PASSAGE.repeat(30))
  const session = await createSession({
    folder: ws.corpus,
    sample: false,
    config: {
      model: {
        architecture: 'llama',
        vocabSize: 320,
        embedDim: 32,
        numLayers: 2,
        numHeads: 4,
        numKvHeads: 2,
        ffnDim: 64,
        seqLen: TRAINED_SEQ_LEN,
        qkvBias: variant.qkvBias,
        tiedEmbeddings: variant.tiedEmbeddings,
        ...(variant.qkvBias ? { normEps: 1e-6, ropeTheta: 1e6 } : {}),
      },
      training: { tokenizer: 'bpe', threads: 2, maxSteps: variant.steps ?? 120, learningRate: 0.02, batchSize: 4, warmup: 10 },
      paths: { checkpointDir: ws.checkpoints, runName: 'trained-llama' },
    },
  })
  const finished = await session.run()
  if (finished.state !== 'done' || !finished.checkpoint) throw new Error(`tiny Llama run failed: ${finished.message}`)
  return { ws, checkpoint: finished.checkpoint }
}
