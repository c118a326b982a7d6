import { describe, expect, it } from 'vitest'
import { ChatTemplate, DEFAULT_CHAT_TEMPLATE } from '../../../../../src/main/engine/chat/template'
import type { ChatMessage } from '../../../../../src/shared/chat'
import { QWEN25_INSTRUCT, SMOLLM2_INSTRUCT } from './published-templates'

const talk: ChatMessage[] = [
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'What is 2 + 2?' },
  { role: 'assistant', content: '4' },
]
const withSystem: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, ...talk]

// The expected strings are written by hand from the templates' logic: what transformers'
// apply_chat_template(messages, tokenize=False, add_generation_prompt=…) returns for them.
describe('SmolLM2-Instruct template', () => {
  const template = new ChatTemplate({ template: SMOLLM2_INSTRUCT, bosToken: '<|im_start|>', eosToken: '<|im_end|>' })

  it('renders a conversation, adding its default system prompt', () => {
    expect(template.render(talk)).toBe(
      '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n' +
        '<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n',
    )
  })

  it('keeps a given system prompt and adds the generation prompt', () => {
    expect(template.render(withSystem.slice(0, 2), true)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    )
  })

  it('cuts answers (content and end of turn) from prompts', () => {
    expect(template.segments(talk)).toEqual([
      { text: '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n', answer: false },
      { text: 'Hello!<|im_end|>', answer: true },
      { text: '\n<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n', answer: false },
      { text: '4<|im_end|>', answer: true },
      { text: '\n', answer: false },
    ])
    expect(template.endOfTurn()).toBe('<|im_end|>')
  })
})

describe('Qwen2.5-Instruct template', () => {
  const template = new ChatTemplate({ template: QWEN25_INSTRUCT, bosToken: '', eosToken: '<|im_end|>' })

  it('renders with its default system prompt when none is given', () => {
    expect(template.render(talk.slice(0, 1), true)).toBe(
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    )
  })

  it('renders a given system prompt once, and every turn', () => {
    expect(template.render(withSystem)).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n' +
        '<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n',
    )
    expect(template.segments(withSystem).filter((s) => s.answer).map((s) => s.text)).toEqual(['Hello!<|im_end|>', '4<|im_end|>'])
    expect(template.endOfTurn()).toBe('<|im_end|>')
  })
})

describe('the default template (GPT-2 family)', () => {
  const template = new ChatTemplate({ template: DEFAULT_CHAT_TEMPLATE, bosToken: '<|endoftext|>', eosToken: '<|endoftext|>' })

  it('renders the Zephyr layout with <|endoftext|> ending each turn', () => {
    expect(template.render(withSystem.slice(0, 3))).toBe(
      '<|system|>\nBe brief.<|endoftext|>\n<|user|>\nHi<|endoftext|>\n<|assistant|>\nHello!<|endoftext|>\n',
    )
    expect(template.render(talk.slice(0, 1), true)).toBe('<|user|>\nHi<|endoftext|>\n<|assistant|>\n')
    expect(template.segments(talk.slice(0, 2))).toEqual([
      { text: '<|user|>\nHi<|endoftext|>\n<|assistant|>\n', answer: false },
      { text: 'Hello!<|endoftext|>', answer: true },
      { text: '\n', answer: false },
    ])
    expect(template.endOfTurn()).toBe('<|endoftext|>')
  })
})

describe('ChatTemplate errors', () => {
  it('refuses a template that does not parse, and one that raises', () => {
    expect(() => new ChatTemplate({ template: '{% for %}', bosToken: '', eosToken: '' })).toThrow(/chat template cannot be read/)
    const raising = new ChatTemplate({ template: "{{ raise_exception('Roles must alternate') }}", bosToken: '', eosToken: '' })
    expect(() => raising.render(talk)).toThrow('The chat template failed on a conversation: Roles must alternate')
  })
})
