/**
 * Text generation with a trained model: encode the prompt, then repeatedly ask the model for the
 * next-token logits, choose a token (greedy or sampled with a seeded generator) and stream the text
 * it completes. Stops after maxTokens or at the end-of-text token (a document's end), which is never
 * chosen as the first token.
 */
import type { GenerateOptions } from '../../../shared/training'
import type { Trainer } from '../model/trainer'
import { Rng } from '../rng'
import type { Tokenizer } from '../tokenizer/types'
import { sampleToken } from './sampling'

export interface GenerationResult {
  /** The generated text, the prompt excluded. */
  text: string
  /** Generated token ids, the prompt excluded. */
  tokens: number[]
  stoppedAtEndOfText: boolean
}

type Model = Pick<Trainer, 'logits'>
type TextCodec = Pick<Tokenizer, 'encode' | 'decode' | 'endOfText'> &
  Partial<Pick<Tokenizer, 'beginOfText'>>

/**
 * Generates after `options.prompt`. An empty prompt starts a new document (the end-of-text token is
 * the context), as the model saw documents begin during training. A family whose documents start
 * with BOS (Llama's `<s>`) gets it before the prompt, or as the whole context, as Hugging Face's
 * `tokenizer(prompt)` adds it; it is not part of the text. `onText` receives each piece of text as
 * soon as it is complete (a token holding half a UTF-8 character waits for the rest).
 */
export async function generateText(
  model: Model,
  tokenizer: TextCodec,
  options: GenerateOptions,
  onText?: (text: string) => void,
  signal?: AbortSignal,
): Promise<GenerationResult> {
  const prompt = options.prompt === '' ? [] : tokenizer.encode(options.prompt)
  const bos = tokenizer.beginOfText ?? null
  const context =
    bos !== null ? [bos, ...prompt] : prompt.length > 0 ? [...prompt] : [tokenizer.endOfText]
  // The continuation is the decoded context minus the decoded start, so a tokenizer that puts
  // spaces between tokens (the word tokenizer) gives "the cat" + " sat", not "the catsat"; the
  // BOS is left out of both (SentencePiece drops the first space of a text, not of what follows <s>).
  const start = context.length
  const textFrom = bos !== null ? 1 : 0
  const base = tokenizer.decode(context.slice(textFrom))
  const continuation = (): string => {
    const all = tokenizer.decode(context.slice(textFrom))
    return all.startsWith(base) ? all.slice(base.length) : tokenizer.decode(context.slice(start))
  }
  const random = Rng.seeded(options.seed)
  let emitted = ''
  let stoppedAtEndOfText = false
  for (let i = 0; i < options.maxTokens; i++) {
    if (signal?.aborted) break
    const logits = await model.logits(context)
    // An answer is at least one token: end-of-text may end the text, not replace it.
    if (context.length === start) logits[tokenizer.endOfText] = -Infinity
    const next = sampleToken(logits, options, () => random.nextFloat())
    if (next === tokenizer.endOfText) {
      stoppedAtEndOfText = true
      break
    }
    context.push(next)
    const text = continuation()
    // Hold back a trailing replacement character: the next token may complete that character.
    if (!text.endsWith('\uFFFD') && text.length > emitted.length && text.startsWith(emitted)) {
      onText?.(text.slice(emitted.length))
      emitted = text
    }
  }
  const text = continuation()
  if (text !== emitted && text.startsWith(emitted)) onText?.(text.slice(emitted.length))
  const generated = context.slice(start)
  return { text, tokens: generated, stoppedAtEndOfText }
}
