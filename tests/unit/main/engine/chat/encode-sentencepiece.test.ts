/**
 * A conversation rendered with a Llama-2-style template and encoded for a SentencePiece tokenizer
 * (TinyLlama's shape) gives exactly the ids Hugging Face's tokenizer gives the rendered text: ▁ at
 * the start, after each special token where the file's normalizer or pre-tokenizer puts one there,
 * and never in the middle of text where a prompt run ends and an answer begins.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { beforeAll, describe, expect, it } from 'vitest'
import { encodeConversation } from '../../../../../src/main/engine/chat/encode'
import { ChatTemplate } from '../../../../../src/main/engine/chat/template'
import { parseTokenizer } from '../../../../../src/main/engine/tokenizer'
import type { ChatMessage } from '../../../../../src/shared/chat'
import { mixedText } from '../tokenizer/mixed-text'
import { buildSpmFile, metaspaceSections, type SpmJson } from '../tokenizer/spm-file'

/** Llama 2's chat layout, shortened: [INST] … [/INST] answer </s>, BOS before each exchange. */
const LLAMA2_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}{% endfor %}"

const CONVERSATIONS: ChatMessage[][] = [
  [
    { role: 'user', content: 'What colour is the cat?' },
    { role: 'assistant', content: 'The cat is red.' },
  ],
  [
    { role: 'user', content: '  Indented   question, with 日本語 and 👍🏽' },
    { role: 'assistant', content: 'An answer\nover two lines.' },
    { role: 'user', content: 'And again?' },
    { role: 'assistant', content: 'Yes — again.' },
  ],
]

const FORMS = {
  'Prepend + Replace normalizer (Llama 2, TinyLlama)': (file: SpmJson): SpmJson => file,
  'Metaspace prepend_scheme first': (file: SpmJson): SpmJson => ({ ...file, ...metaspaceSections('first') }),
  'Metaspace prepend_scheme always': (file: SpmJson): SpmJson => ({ ...file, ...metaspaceSections('always') }),
} as const

let base: SpmJson
beforeAll(() => {
  base = buildSpmFile(mixedText(40_000, 5), 500)
})

describe.each(Object.entries(FORMS))('%s', (_, form) => {
  it.each(CONVERSATIONS.map((messages, i) => [i, messages] as const))('conversation %i: the ids Hugging Face gives the rendered text', (_, messages) => {
    const file = form(structuredClone(base))
    const ours = parseTokenizer(JSON.stringify(file), 'tokenizer.json')
    const template = new ChatTemplate({ template: LLAMA2_TEMPLATE, bosToken: '<s>', eosToken: '</s>' })
    const rendered = template.render(messages)
    const expected = new HfTokenizer(file, {}).encode(rendered, { add_special_tokens: false }).ids
    const { ids, answer } = encodeConversation(ours, template, messages)
    expect(ids).toEqual(expected)
    // The answers carry the loss: the last id (the final </s>) is an answer's, the first (<s>) is not.
    expect([answer[0], answer[answer.length - 1]]).toEqual([0, 1])
  })
})
