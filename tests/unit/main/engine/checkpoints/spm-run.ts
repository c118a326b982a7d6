/**
 * A Llama run whose tokenizer is SentencePiece-style BPE with byte fallback (TinyLlama's, Llama 2's
 * shape), as a run started from such a model keeps it: the tokenizer file is built in the test
 * (tokenizer/spm-file.ts, merges as Hugging Face converts a SentencePiece model), a tiny Llama of
 * that vocabulary is made by a few steps of training, given that tokenizer, and trained on from it
 * (`initFrom` a checkpoint, no Hugging Face import), so the model learns the passage in the
 * SentencePiece ids, each document after `<s>`.
 */
import { join } from 'node:path'
import { loadCheckpoint, saveCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { createSession } from '../../../../../src/main/engine/session'
import { parseTokenizer } from '../../../../../src/main/engine/tokenizer'
import { buildSpmFile, metaspaceSections } from '../tokenizer/spm-file'
import { PASSAGE, trainedLlama, type TrainedModel } from './trained-model'

/** The vocabulary of the tiny Llama (trainedLlama's), which the SentencePiece tokenizer fills exactly. */
export const SPM_VOCAB_SIZE = 320

/**
 * The tokenizer.json of a SentencePiece-style tokenizer learned on PASSAGE, as the engine keeps it:
 * `<unk>`, `<s>`, `</s>`, 256 byte tokens, the passage's characters, then merges up to 320 tokens.
 * `legacy`: Llama 2's Prepend normalizer; else a Metaspace pre-tokenizer with that prepend_scheme.
 */
export function spmTokenizerText(prepend: 'legacy' | 'never' | 'first' | 'always' = 'legacy'): string {
  const characters = Object.keys(buildSpmFile(PASSAGE.repeat(20), 0).model.vocab).length
  const file = buildSpmFile(PASSAGE.repeat(20), SPM_VOCAB_SIZE - characters, 3, true)
  if (prepend !== 'legacy') Object.assign(file, metaspaceSections(prepend))
  const tokenizer = parseTokenizer(JSON.stringify(file), 'tokenizer.json')
  if (tokenizer.vocabSize !== SPM_VOCAB_SIZE) throw new Error(`SentencePiece test tokenizer has ${tokenizer.vocabSize} tokens`)
  return tokenizer.serialize()
}

/** A copy of `checkpoint` at `path` whose tokenizer is `tokenizerText` (same vocabulary size). */
export async function withTokenizer(checkpoint: string, tokenizerText: string, path: string): Promise<string> {
  const { metadata, state } = await loadCheckpoint(checkpoint)
  await saveCheckpoint(path, { metadata: { ...metadata, tokenizer: tokenizerText }, state })
  return path
}

export async function trainedSpmLlama(steps = 120, tiedEmbeddings = true): Promise<TrainedModel> {
  const tokenizer = spmTokenizerText()
  const seed = await trainedLlama({ qkvBias: false, tiedEmbeddings, steps: 11 })
  const start = await withTokenizer(seed.checkpoint, tokenizer, join(seed.ws.root, 'spm-start.safetensors'))
  const session = await createSession({
    folder: seed.ws.corpus,
    sample: false,
    initFrom: start,
    config: {
      training: { threads: 2, maxSteps: steps, learningRate: 0.02, batchSize: 4, warmup: 10 },
      paths: { checkpointDir: seed.ws.checkpoints, runName: 'trained-spm-llama' },
    },
  })
  const finished = await session.run()
  if (finished.state !== 'done' || !finished.checkpoint) throw new Error(`tiny SentencePiece Llama run failed: ${finished.message}`)
  return { ws: seed.ws, checkpoint: finished.checkpoint }
}
