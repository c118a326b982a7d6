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
import type { TextPart } from '../tokenizer/types'
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

/**
 * Where the next piece of text stands in the rendered conversation: at its start, right after a
 * special token, or in the middle of text (a prompt run ending where an answer run begins).
 * SentencePiece files encode each differently: a Prepend normalizer puts ▁ before the start and
 * after every special token (as Hugging Face normalizes each piece between added tokens), Metaspace
 * `first` only at the start, and mid-text nothing; byte-level families encode all three alike.
 */
type Place = 'start' | 'after-special' | 'mid-text'
const TEXT_PART: Record<Place, TextPart> = { start: 'text', 'after-special': 'after-special', 'mid-text': 'continuation' }

/** Appends the ids of `text` to `ids`, special tokens recognised wherever they appear; returns where it ends. */
function encodeSpecialsInto(
  tokenizer: Tokenizer,
  text: string,
  specials: readonly SpecialToken[],
  ids: number[],
  place: Place,
): Place {
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
    if (end > at) {
      ids.push(...tokenizer.encode(text.slice(at, end), TEXT_PART[place]))
      place = 'mid-text'
    }
    if (!found) break
    ids.push(found.id)
    place = 'after-special'
    at = next + found.content.length
  }
  return place
}

/** Ids of `text` (a whole rendered text), special tokens recognised wherever they appear. */
export function encodeWithSpecials(tokenizer: Tokenizer, text: string, specials: readonly SpecialToken[]): number[] {
  const ids: number[] = []
  encodeSpecialsInto(tokenizer, text, specials, ids, 'start')
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
  let place: Place = 'start'
  for (const segment of template.segments(messages)) {
    const from = ids.length
    place = encodeSpecialsInto(tokenizer, segment.text, specials, ids, place)
    for (let i = from; i < ids.length; i++) flags.push(segment.answer ? 1 : 0)
  }
  return { ids, answer: Uint8Array.from(flags) }
}
