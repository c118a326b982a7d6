/**
 * llama.cpp as the oracle of a GGUF export (node-llama-cpp's prebuilt CPU binary): what the export
 * tests of every family ask it the same way — the next-token distribution at every position of a
 * text, and a greedy continuation — next to ours.
 */
import type { LlamaContext, Token } from 'node-llama-cpp'
import { expect } from 'vitest'
import type { OpenModel } from '../../../../../src/main/engine/session/from-checkpoint'
import { generateText, type GenerationResult } from '../../../../../src/main/engine/session/generate'
import type { TextPart } from '../../../../../src/main/engine/tokenizer/types'

/** The text whose every position is compared. */
export const ORACLE_TEXT = 'At the top he wound the clock, trimmed the wick, and wrote'

function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i])
  let sum = 0
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max)
  const out = new Float64Array(logits.length)
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - max - Math.log(sum)
  return out
}

/**
 * Largest |Δ log p| and |Δ p| between us and llama.cpp over every position of ORACLE_TEXT (encoded as
 * `part`: a `document` starts with the family's BOS) and the whole vocabulary.
 */
export async function worstDifference(ours: OpenModel, on: LlamaContext, part: TextPart = 'text'): Promise<{ logProb: number; prob: number }> {
  const ids = ours.tokenizer.encode(ORACLE_TEXT, part)
  const sequence = on.getSequence()
  const sampling = { temperature: 1, topK: 0, topP: 1, minP: 0 }
  const results = await sequence.controlledEvaluate(
    ids.map((id) => [id as Token, { generateNext: { probabilities: true, options: sampling } }]),
  )
  sequence.dispose()
  const worst = { logProb: 0, prob: 0 }
  for (let position = 0; position < ids.length; position++) {
    const probabilities = results[position]?.next.probabilities
    expect(probabilities?.size).toBe(ours.tokenizer.vocabSize)
    const expected = logSoftmax(await ours.trainer.logits(ids.slice(0, position + 1)))
    for (let id = 0; id < expected.length; id++) {
      const theirs = probabilities!.get(id as Token)!
      worst.logProb = Math.max(worst.logProb, Math.abs(Math.log(theirs) - expected[id]))
      worst.prob = Math.max(worst.prob, Math.abs(theirs - Math.exp(expected[id])))
    }
  }
  return worst
}

/** `cllm generate --temperature 0` of `count` tokens after `prompt`. */
export function ourGreedy(ours: OpenModel, prompt: string, count: number): Promise<GenerationResult> {
  return generateText(ours.trainer, ours.tokenizer, { prompt, maxTokens: count, temperature: 0, topK: 0, topP: 1, seed: 1 })
}

/** llama.cpp's greedy continuation of `start` (its ids), `count` tokens. */
export async function llamaCppGreedy(context: LlamaContext, start: Token[], count: number): Promise<Token[]> {
  const sequence = context.getSequence()
  const got: Token[] = []
  try {
    for await (const token of sequence.evaluate(start, { temperature: 0 })) {
      got.push(token)
      if (got.length === count) break
    }
  } finally {
    sequence.dispose()
  }
  return got
}
