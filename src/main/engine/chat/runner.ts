/**
 * Answers in a conversation: the messages rendered with the model's template and its generation
 * prompt, encoded (special tokens as their ids), then tokens sampled until the end-of-turn token.
 *
 * The key/value cache carries across turns: the model keeps the keys and values of the last context
 * it was given, and a context that repeats a prefix of it and adds one token costs one position.
 * The next turn's prompt starts with what the model has already seen (the earlier turns and the
 * answer just generated, as far as its text encodes to the same ids), so only the rest is fed, one
 * position each, instead of the whole conversation again.
 */
import type { ChatMessage } from '../../../shared/chat'
import type { GenerateOptions } from '../../../shared/training'
import type { Trainer } from '../model/trainer'
import { Rng } from '../rng'
import { sampleToken } from '../session/sampling'
import type { Tokenizer } from '../tokenizer'
import { encodeWithSpecials, specialTokensOf, type SpecialToken } from './encode'
import type { ChatTemplate } from './template'

export interface ChatReply {
  text: string
  /** Generated ids, the end-of-turn token excluded. */
  tokens: number[]
  stoppedAtEndOfTurn: boolean
  /** Tokens of the rendered prompt this turn. */
  promptTokens: number
  /** Positions the model computed this turn (with the cache: the new tokens only). */
  computedPositions: number
}

export class ChatRunner {
  private readonly specials: readonly SpecialToken[]
  private readonly stopIds: Set<number>
  /** The context the model last computed (its keys and values are cached), or empty. */
  private fed: number[] = []

  constructor(
    private readonly model: Pick<Trainer, 'logits'>,
    private readonly tokenizer: Tokenizer,
    private readonly template: ChatTemplate,
    private readonly seqLen: number,
  ) {
    this.specials = specialTokensOf(tokenizer)
    const endOfTurn = template.endOfTurn()
    const special = this.specials.find((token) => token.content === endOfTurn)
    this.stopIds = new Set([tokenizer.endOfText, ...(special ? [special.id] : [])])
  }

  /** The ids of `messages` rendered with the generation prompt, special tokens as their ids. */
  encodePrompt(messages: readonly ChatMessage[]): number[] {
    return encodeWithSpecials(this.tokenizer, this.template.render(messages, true), this.specials)
  }

  /** The prompt ids of `messages` with the generation prompt, the oldest turns dropped while it would not fit. */
  promptIds(messages: readonly ChatMessage[]): number[] {
    let kept = [...messages]
    for (;;) {
      const ids = this.encodePrompt(kept)
      const firstTurn = kept[0]?.role === 'system' ? 1 : 0
      // Room for an answer of at least a quarter of the context.
      if (ids.length <= Math.floor((this.seqLen * 3) / 4) || kept.length - firstTurn <= 1) return ids
      kept = [...kept.slice(0, firstTurn), ...kept.slice(firstTurn + 1)]
    }
  }

  async reply(
    messages: readonly ChatMessage[],
    options: GenerateOptions,
    onText?: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<ChatReply> {
    const prompt = this.promptIds(messages)
    const random = Rng.seeded(options.seed)
    const context = [...prompt]
    let computed = 0
    const logitsOf = async (ids: number[]): Promise<Float32Array> => {
      const cachedOne = ids.length > 1 && ids.length <= this.seqLen && this.fed.length >= ids.length - 1 && commonPrefix(this.fed, ids) >= ids.length - 1
      computed += cachedOne ? 1 : Math.min(ids.length, this.seqLen)
      const logits = await this.model.logits(ids)
      this.fed = ids.length <= this.seqLen ? [...ids] : []
      return logits
    }
    // Feed the prompt's tokens after the part the model has seen (the earlier turns; up to where the
    // answer's re-encoding differs from the ids generated), one position each.
    const shared = Math.min(commonPrefix(this.fed, prompt), prompt.length - 1)
    if (shared > 0 && prompt.length <= this.seqLen) {
      for (let k = shared + 1; k < prompt.length; k++) await logitsOf(prompt.slice(0, k))
    }
    const generated: number[] = []
    let emitted = ''
    let stopped = false
    for (let i = 0; i < options.maxTokens; i++) {
      if (signal?.aborted) break
      const logits = await logitsOf(context)
      const next = sampleToken(logits, options, () => random.nextFloat())
      if (this.stopIds.has(next)) {
        stopped = true
        break
      }
      context.push(next)
      generated.push(next)
      const text = this.tokenizer.decode(generated)
      if (!text.endsWith('\uFFFD') && text.length > emitted.length && text.startsWith(emitted)) {
        onText?.(text.slice(emitted.length))
        emitted = text
      }
    }
    const text = this.tokenizer.decode(generated)
    if (text !== emitted && text.startsWith(emitted)) onText?.(text.slice(emitted.length))
    return { text, tokens: generated, stoppedAtEndOfTurn: stopped, promptTokens: prompt.length, computedPositions: computed }
  }
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0
  while (n < a.length && n < b.length && a[n] === b[n]) n++
  return n
}
