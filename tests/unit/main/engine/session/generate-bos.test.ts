/**
 * Generation with a tokenizer whose documents start with BOS (TinyLlama / Llama 2's `<s>`, from the
 * post_processor): the model sees `<s>` then the prompt as Hugging Face's `tokenizer(prompt)` gives
 * it, or `<s>` alone for an empty prompt; the text streamed is the continuation, spaces included.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { describe, expect, it } from 'vitest'
import { GenerateOptions } from '../../../../../src/shared/training'
import { generateText } from '../../../../../src/main/engine/session/generate'
import { parseTokenizer } from '../../../../../src/main/engine/tokenizer'
import { mixedText } from '../tokenizer/mixed-text'
import { buildSpmFile } from '../tokenizer/spm-file'

const file = buildSpmFile(mixedText(30_000, 4), 300)
const tokenizer = parseTokenizer(JSON.stringify(file), 'tokenizer.json')
const theirs = new HfTokenizer(file, {})

/** A model that answers with `answer`, one token per step, then `</s>`; it records each context. */
function scripted(answer: number[]): { contexts: number[][]; logits: (c: ArrayLike<number>) => Promise<Float32Array> } {
  const contexts: number[][] = []
  return {
    contexts,
    logits: async (context) => {
      contexts.push(Array.from(context))
      const next = answer[contexts.length - 1] ?? tokenizer.endOfText
      const logits = new Float32Array(tokenizer.vocabSize)
      logits[next] = 10
      return logits
    },
  }
}

describe('generation with a BOS family', () => {
  it.each(['the model', ''])('puts <s> before the prompt %j and streams the continuation', async (prompt) => {
    const answer = theirs.encode('learns from every file', { add_special_tokens: false }).ids // ▁learns …
    const model = scripted(answer)
    const pieces: string[] = []
    const result = await generateText(
      model,
      tokenizer,
      GenerateOptions.parse({ prompt, maxTokens: 50, temperature: 0 }),
      (text) => pieces.push(text),
    )
    expect(model.contexts[0]).toEqual(theirs.encode(prompt).ids)
    expect(model.contexts[0][0]).toBe(tokenizer.beginOfText)
    const expected = prompt === '' ? 'learns from every file' : ' learns from every file'
    expect(result.text).toBe(expected)
    expect(pieces.join('')).toBe(expected)
    expect(result.stoppedAtEndOfText).toBe(true)
  })
})
