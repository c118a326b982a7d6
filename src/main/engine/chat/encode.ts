/**
 * A conversation as token ids and, per id, whether it belongs to an answer. The rendered text is
 * split at the tokenizer's special tokens (`<|endoftext|>`, `<|im_start|>`, …), which become their
 * own ids, as Hugging Face's tokenizer and llama.cpp (`parse_special`) split a rendered chat; the
 * text between them is encoded as usual. Prompt and answer runs are encoded apart, so an answer's
 * first token never straddles the prompt.
 */
import type { ChatMessage } from '../../../shared/chat'
import { UserError } from '../../../shared/errors'
import { BpeTokenizer, type Tokenizer } from '../tokenizer'
import type { ChatTemplate } from './template'

export interface EncodedConversation {
  ids: number[]
  /** 1 where ids[i] is part of an assistant's answer. */
  answer: Uint8Array
}

export interface SpecialToken {
  id: number
  content: string
}

/** The special tokens chat text is split at; chat data needs a BPE tokenizer. */
export function specialTokensOf(tokenizer: Tokenizer): readonly SpecialToken[] {
  if (!(tokenizer instanceof BpeTokenizer)) {
    throw new UserError('invalid-config', 'Chat data needs the bpe tokenizer (--tokenizer bpe): the word tokenizer cannot write a chat template.')
  }
  return tokenizer.specialTokens
}

/** Ids of `text`, special tokens recognised wherever they appear. */
export function encodeWithSpecials(tokenizer: Tokenizer, text: string, specials: readonly SpecialToken[]): number[] {
  const ids: number[] = []
  let at = 0
  while (at < text.length) {
    let next = -1
    let found: SpecialToken | undefined
    for (const special of specials) {
      if (special.content === '') continue
      const index = text.indexOf(special.content, at)
      if (index >= 0 && (next < 0 || index < next || (index === next && special.content.length > found!.content.length))) {
        next = index
        found = special
      }
    }
    const end = found ? next : text.length
    if (end > at) ids.push(...tokenizer.encode(text.slice(at, end)))
    if (!found) break
    ids.push(found.id)
    at = next + found.content.length
  }
  return ids
}

/** Text with the special tokens taken out: what a tokenizer trained for chat data learns from. */
export function withoutSpecials(text: string, specials: readonly SpecialToken[]): string {
  let out = text
  for (const special of specials) if (special.content !== '') out = out.split(special.content).join('\n')
  return out
}

export function encodeConversation(
  tokenizer: Tokenizer,
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  specials = specialTokensOf(tokenizer),
): EncodedConversation {
  const ids: number[] = []
  const flags: number[] = []
  for (const segment of template.segments(messages)) {
    const part = encodeWithSpecials(tokenizer, segment.text, specials)
    for (const id of part) {
      ids.push(id)
      flags.push(segment.answer ? 1 : 0)
    }
  }
  return { ids, answer: Uint8Array.from(flags) }
}
