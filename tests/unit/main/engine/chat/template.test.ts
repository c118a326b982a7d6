import { spawnSync } from 'node:child_process'
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

// A second oracle where Python's Jinja2 is installed: the environment transformers'
// apply_chat_template renders with (trim_blocks, lstrip_blocks, loop controls, raise_exception).
const jinja2 = spawnSync('python3', ['-c', 'import jinja2'], { stdio: 'ignore' }).status === 0
describe.skipIf(!jinja2)('the same strings as Python Jinja2 with transformers’ settings', () => {
  const PY = `
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
def raise_exception(message):
    raise Exception(message)
job = json.load(sys.stdin)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.loopcontrols'])
env.globals['raise_exception'] = raise_exception
out = [env.from_string(job['template']).render(messages=c['messages'], add_generation_prompt=c['gen'], bos_token=job['bos'], eos_token=job['eos']) for c in job['cases']]
print(json.dumps(out))
`
  const cases = [
    { messages: talk, gen: false },
    { messages: withSystem, gen: false },
    { messages: talk.slice(0, 3), gen: true },
  ]
  for (const [name, source, bos, eos] of [
    ['SmolLM2-Instruct', SMOLLM2_INSTRUCT, '<|im_start|>', '<|im_end|>'],
    ['Qwen2.5-Instruct', QWEN25_INSTRUCT, '', '<|im_end|>'],
    ['default', DEFAULT_CHAT_TEMPLATE, '<|endoftext|>', '<|endoftext|>'],
  ] as const) {
    it(name, () => {
      const python = spawnSync('python3', ['-c', PY], {
        input: JSON.stringify({ template: source, bos, eos, cases }),
        encoding: 'utf8',
      })
      expect(python.stderr).toBe('')
      const template = new ChatTemplate({ template: source, bosToken: bos, eosToken: eos })
      expect(cases.map((c) => template.render(c.messages, c.gen))).toEqual(JSON.parse(python.stdout))
    })
  }
})
