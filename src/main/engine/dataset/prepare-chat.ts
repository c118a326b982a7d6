/**
 * The chat side of dataset preparation: conversations from the `.jsonl` documents, rendered with
 * the model's template, encoded with their answers marked, split into training and validation
 * conversations (whole conversations, seeded, as documents are for text), and laid out in windows
 * (packed by default; see chat/windows.ts) with the loss mask and, packed, each token's position in
 * its conversation.
 */
import type { ChatPacking, LossOn } from '../../../shared/chat'
import { UserError } from '../../../shared/errors'
import { readChatData, requireConversations, type ChatData } from '../chat/data'
import { encodeConversation, specialTokensOf, withoutSpecials, type EncodedConversation } from '../chat/encode'
import { ChatTemplate, type ChatTemplateSource } from '../chat/template'
import { chatPositions, layOutWindows, lossMask } from '../chat/windows'
import type { Tokenizer } from '../tokenizer'
import { BPE_SPECIAL_TOKENS } from '../tokenizer'
import type { DatasetManifest } from './cache'
import type { TokenArray } from './encode'
import { chooseValidation, type SplitRanges } from './split'

/**
 * How new chat datasets are laid out. Packed: measured faster per answer token than padded on the
 * chat bench (bench/chat.ts; figures in docs/architecture.md), and exact.
 */
export const DEFAULT_CHAT_PACKING: ChatPacking = 'packed'

export interface ChatPrepareOptions {
  template: ChatTemplateSource
  lossOn: LossOn
  /** Default DEFAULT_CHAT_PACKING. */
  packing?: ChatPacking
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
  const train = [...conversations.keys()].filter((i) => !isValidation[i])
  const held = [...conversations.keys()].filter((i) => isValidation[i])
  const packing = options.packing ?? DEFAULT_CHAT_PACKING
  const laid = layOutWindows([train.map((i) => encoded[i]), held.map((i) => encoded[i])], {
    seqLen: options.seqLen,
    vocabSize: tokenizer.vocabSize,
    padId: tokenizer.endOfText,
    lossOn: options.lossOn,
    packing,
  })
  const entry = (i: number, placed: (typeof laid.placed)[number][number], split: 'train' | 'validation') => ({
    file: conversations[i].file,
    line: conversations[i].line,
    split,
    start: placed.start,
    length: placed.length,
    spans: placed.spans,
  })
  return {
    tokens: laid.tokens,
    validationStart: laid.groupStarts[1],
    validationDocuments: held.length,
    chat: {
      template: source.template.source.template,
      bosToken: source.template.source.bosToken,
      eosToken: source.template.source.eosToken,
      counts: {
        ...laid.counts,
        conversations: conversations.length,
        trainConversations: train.length,
        validationConversations: held.length,
        withoutAnswer: all.length - kept.length,
      },
      // Per conversation (the name is from when each had a window of its own): training ones first.
      windows: [
        ...train.map((i, c) => entry(i, laid.placed[0][c], 'train')),
        ...held.map((i, c) => entry(i, laid.placed[1][c], 'validation')),
      ],
    },
  }
}

/** Training and validation windows of a chat dataset; with one conversation, validation is that one. */
export function chatSplit(manifest: DatasetManifest): SplitRanges {
  const chat = manifest.chat!
  const width = chat.counts.windowTokens
  const total = manifest.tokens.count
  const trainEnd = manifest.split.validationStart
  if (chat.counts.validationConversations === 0) {
    return { train: { start: 0, end: total }, validation: { start: total - width, end: total }, overlapping: true }
  }
  return { train: { start: 0, end: trainEnd }, validation: { start: trainEnd, end: total }, overlapping: false }
}

export function chatMask(manifest: DatasetManifest): Uint8Array {
  return lossMask(manifest.chat!.windows, manifest.chat!.counts.windowTokens, manifest.tokens.count)
}

/** Packed chat datasets: each token's position inside its conversation; undefined for padded ones. */
export function chatPositionsOf(manifest: DatasetManifest): Uint16Array | undefined {
  const chat = manifest.chat!
  if (chat.counts.packing !== 'packed') return undefined
  return chatPositions(chat.windows, chat.counts.windowTokens, manifest.tokens.count)
}
