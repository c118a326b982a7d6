/**
 * Chat templates: a model's Jinja `chat_template` (from its `tokenizer_config.json`) rendered with
 * Hugging Face's own JavaScript Jinja (`@huggingface/jinja`), with the variables `transformers`'
 * `apply_chat_template` passes (`messages`, `add_generation_prompt`, the special tokens,
 * `raise_exception`, built in), so a conversation renders to the same text as in Python.
 *
 * Models without a template (GPT-2-family models trained here, or imported without one) get
 * DEFAULT_CHAT_TEMPLATE, the Zephyr layout on GPT-2's one special token:
 *
 *     <|user|>\nHello<|endoftext|>\n<|assistant|>\nHi there.<|endoftext|>\n
 *
 * The answers are found by rendering prefixes: the conversation up to an assistant message with
 * the generation prompt, then with the message. What the second adds is the answer, its
 * end-of-turn marker included, so the model learns to stop.
 */
import { Template } from '@huggingface/jinja'
import type { ChatMessage } from '../../../shared/chat'
import { UserError } from '../../../shared/errors'

/** The template of models that have none: Zephyr's layout with GPT-2's `<|endoftext|>` ending each turn. */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"

export interface ChatTemplateSource {
  /** The Jinja source. */
  template: string
  /** The tokens `transformers` passes to the template by name. */
  bosToken: string
  eosToken: string
}

/** A run of rendered text, and whether its tokens carry the loss (an assistant's answer). */
export interface ChatSegment {
  text: string
  answer: boolean
}

export class ChatTemplate {
  private readonly compiled: Template

  constructor(readonly source: ChatTemplateSource) {
    try {
      this.compiled = new Template(source.template)
    } catch (error) {
      throw new UserError('invalid-input', `The chat template cannot be read: ${(error as Error).message}`)
    }
  }

  /** The conversation as text, as `apply_chat_template(messages, tokenize=False, add_generation_prompt=…)` gives it. */
  render(messages: readonly ChatMessage[], addGenerationPrompt = false): string {
    try {
      return this.compiled.render({
        messages: messages.map((message) => ({ role: message.role, content: message.content })),
        add_generation_prompt: addGenerationPrompt,
        bos_token: this.source.bosToken,
        eos_token: this.source.eosToken,
        // raise_exception is built into @huggingface/jinja, as transformers defines it.
      })
    } catch (error) {
      throw new UserError('invalid-input', `The chat template failed on a conversation: ${(error as Error).message}`)
    }
  }

  /**
   * The rendered conversation cut into prompt and answer runs (concatenated, they are `render`).
   * Whitespace after an answer's end-of-turn marker goes to the next prompt, so an answer ends
   * exactly where generation stops.
   */
  segments(messages: readonly ChatMessage[]): ChatSegment[] {
    const full = this.render(messages)
    const segments: ChatSegment[] = []
    let at = 0
    for (let i = 0; i < messages.length; i++) {
      if (messages[i].role !== 'assistant') continue
      const prompt = this.render(messages.slice(0, i), true)
      const withAnswer = this.render(messages.slice(0, i + 1))
      if (!withAnswer.startsWith(prompt) || !full.startsWith(withAnswer) || prompt.length < at) {
        throw new UserError(
          'invalid-input',
          'The chat template does not render a conversation as its earlier turns followed by the next, so its answers cannot be told apart.',
        )
      }
      const answerEnd = prompt.length + trimEndLength(withAnswer.slice(prompt.length))
      if (prompt.length > at) segments.push({ text: full.slice(at, prompt.length), answer: false })
      if (answerEnd > prompt.length) segments.push({ text: full.slice(prompt.length, answerEnd), answer: true })
      at = answerEnd
    }
    if (full.length > at) segments.push({ text: full.slice(at), answer: false })
    return segments
  }

  /**
   * The text that ends an assistant's turn (`<|endoftext|>`, `<|im_end|>`, …): what the template
   * writes after an answer's content, up to the first whitespace.
   */
  endOfTurn(): string {
    const probe: ChatMessage[] = [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: 'y' },
    ]
    const prompt = this.render(probe.slice(0, 1), true)
    const after = this.render(probe).slice(prompt.length)
    const tail = after.startsWith('y') ? after.slice(1) : ''
    const marker = tail.trimStart().split(/\s/)[0]
    return marker || this.source.eosToken
  }
}

/** The length of `text` without trailing whitespace. */
function trimEndLength(text: string): number {
  return text.trimEnd().length
}
