/** Captures what a command prints, and trains a tiny checkpoint for generate/evaluate tests. */
import type { CliIo } from '../../../../src/cli/commands/train'
import { createSession } from '../../../../src/main/engine/session'

export function capture(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = ''
  let err = ''
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    stdout: () => out,
    stderr: () => err,
  }
}

/** A tiny model trained for a few steps on the word tokenizer: its final_model path. */
export async function tinyCheckpoint(corpus: string, checkpointDir: string, steps = 30): Promise<string> {
  const session = await createSession({
    folder: corpus,
    sample: false,
    config: {
      model: { vocabSize: 64, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 16 },
      training: { tokenizer: 'word', threads: 2, maxSteps: steps, learningRate: 0.01 },
      paths: { checkpointDir, runName: 'tiny' },
    },
  })
  const finished = await session.run()
  if (finished.state !== 'done' || !finished.checkpoint) throw new Error(`tiny run failed: ${finished.message}`)
  return finished.checkpoint
}
