/**
 * The chat side of dataset preparation: conversations from the `.jsonl` documents, rendered with
 * the model's template, encoded with their answers marked, split into training and validation
 * conversations (whole conversations, seeded, as documents are for text), and laid out one per
 * window with the loss mask.
 */
import type { LossOn } from '../../../shared/chat'
import { UserError } from '../../../shared/errors'
import { readChatData, requireConversations, type ChatData } from '../chat/data'
import { encodeConversation, specialTokensOf, withoutSpecials, type EncodedConversation } from '../chat/encode'
import { ChatTemplate, type ChatTemplateSource } from '../chat/template'
import { layOutWindows, lossMask } from '../chat/windows'
import type { Tokenizer } from '../tokenizer'
import { BPE_SPECIAL_TOKENS } from '../tokenizer'
import type { DatasetManifest } from './cache'
import type { TokenArray } from './encode'
import { chooseValidation, type SplitRanges } from './split'

export interface ChatPrepareOptions {
  template: ChatTemplateSource
  lossOn: LossOn
}

export interface ChatSource {
  data: ChatData
  template: ChatTemplate
}

export function readChatSource(documents: ReadonlyArray<{ path: string; text: string }>, options: ChatPrepareOptions): ChatSource {
  const data = readChatData(documents)
  requireConversations(data)
  return { data, template: new ChatTemplate(options.template) }
}

/** The rendered conversations without special tokens: what a new tokenizer is trained on. */
export function chatTrainingTexts(source: ChatSource): string[] {
  const specials = BPE_SPECIAL_TOKENS.map((content) => ({ id: -1, content }))
  return source.data.conversations.map((conversation) => withoutSpecials(source.template.render(conversation.messages), specials))
}

export function buildChatStream(
  source: ChatSource,
  tokenizer: Tokenizer,
  options: ChatPrepareOptions & { seqLen: number; fraction: number; seed: number },
): { tokens: TokenArray; chat: NonNullable<DatasetManifest['chat']>; validationStart: number; validationDocuments: number } {
  const specials = specialTokensOf(tokenizer)
  const width = options.seqLen + 1
  const all = source.data.conversations.map((conversation) => ({
    conversation,
    encoded: encodeConversation(tokenizer, source.template, conversation.messages, specials),
  }))
  // A conversation whose window holds no target with loss (its answers start past the window's
  // end) would teach nothing and leave a batch without loss: it is left out, and counted.
  const kept = all.filter(({ encoded }) => options.lossOn === 'all' ? encoded.ids.length > 1 : encoded.answer.subarray(1, width).includes(1))
  if (kept.length === 0) {
    throw new UserError(
      'invalid-config',
      `No conversation has an answer within a window of --seq-len ${options.seqLen} + 1 tokens: raise --seq-len.`,
    )
  }
  const conversations = kept.map((entry) => entry.conversation)
  const encoded: EncodedConversation[] = kept.map((entry) => entry.encoded)
  const isValidation = chooseValidation(encoded.map((c) => c.ids.length), options.fraction, options.seed)
  // A held-out conversation even when the fraction is smaller than one: the last one, if two or more.
  if (!isValidation.includes(true) && conversations.length > 1) isValidation[conversations.length - 1] = true
  const order = [...conversations.keys()].sort((a, b) => Number(isValidation[a]) - Number(isValidation[b]))
  const laid = layOutWindows(order.map((i) => encoded[i]), {
    seqLen: options.seqLen,
    vocabSize: tokenizer.vocabSize,
    padId: tokenizer.endOfText,
    lossOn: options.lossOn,
  })
  const validationConversations = order.filter((i) => isValidation[i]).length
  const trainConversations = order.length - validationConversations
  return {
    tokens: laid.tokens,
    validationStart: trainConversations * width,
    validationDocuments: validationConversations,
    chat: {
      template: source.template.source.template,
      bosToken: source.template.source.bosToken,
      eosToken: source.template.source.eosToken,
      counts: {
        ...laid.counts,
        conversations: order.length,
        trainConversations,
        validationConversations,
        withoutAnswer: all.length - kept.length,
      },
      windows: order.map((i, w) => ({
        file: conversations[i].file,
        line: conversations[i].line,
        split: isValidation[i] ? ('validation' as const) : ('train' as const),
        length: laid.windows[w].length,
        spans: laid.windows[w].spans,
      })),
    },
  }
}

/** Training and validation windows of a chat dataset; with one conversation, validation is that one. */
export function chatSplit(manifest: DatasetManifest): SplitRanges {
  const chat = manifest.chat!
  const width = chat.counts.windowTokens
  const total = chat.windows.length * width
  const trainEnd = chat.counts.trainConversations * width
  if (chat.counts.validationConversations === 0) {
    return { train: { start: 0, end: total }, validation: { start: total - width, end: total }, overlapping: true }
  }
  return { train: { start: 0, end: trainEnd }, validation: { start: trainEnd, end: total }, overlapping: false }
}

export function chatMask(manifest: DatasetManifest): Uint8Array {
  return lossMask(manifest.chat!.windows, manifest.chat!.counts.windowTokens)
}
