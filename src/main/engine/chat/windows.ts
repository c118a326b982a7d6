/**
 * Chat data in windows: one conversation per window of seqLen + 1 tokens, cut at the window's end
 * when longer, padded after its end when shorter. With causal attention nothing in a window
 * attends past its own conversation, and padding sits after it, so one conversation per window is
 * exact without an attention mask (packing several per window would need one; see
 * docs/architecture.md for the measured padding).
 *
 * The loss mask says, per position of the stream, whether that token is a target carrying the loss:
 * an answer's token (or, with lossOn 'all', any token of the conversation) that is not the first of
 * its window. It is kept as spans per window, which the dataset manifest stores, and expanded into
 * a shared byte array for the spheres.
 */
import type { ChatTokenCounts, LossOn } from '../../../shared/chat'
import { tokenArrayFor, type TokenArray } from '../dataset/encode'
import type { EncodedConversation } from './encode'

/** One window: its conversation's real length and the [start, end) runs of targets with loss, relative to the window. */
export interface ChatWindow {
  length: number
  spans: Array<[number, number]>
}

export interface ChatWindows {
  tokens: TokenArray
  windows: ChatWindow[]
  counts: Omit<ChatTokenCounts, 'trainConversations' | 'validationConversations' | 'conversations'>
}

/** Lays the conversations out one per window, in the order given. */
export function layOutWindows(
  conversations: readonly EncodedConversation[],
  options: { seqLen: number; vocabSize: number; padId: number; lossOn: LossOn },
): ChatWindows {
  const width = options.seqLen + 1
  const tokens = tokenArrayFor(options.vocabSize, conversations.length * width)
  const windows: ChatWindow[] = []
  let promptTokens = 0
  let answerTokens = 0
  let padTokens = 0
  let truncated = 0
  let lossPositions = 0
  conversations.forEach((conversation, w) => {
    const length = Math.min(width, conversation.ids.length)
    if (conversation.ids.length > width) truncated++
    const base = w * width
    for (let i = 0; i < width; i++) tokens[base + i] = i < length ? conversation.ids[i] : options.padId
    const spans: Array<[number, number]> = []
    let open = -1
    for (let i = 0; i <= length; i++) {
      const carries = i >= 1 && i < length && (options.lossOn === 'all' || conversation.answer[i] === 1)
      if (carries && open < 0) open = i
      if (!carries && open >= 0) {
        spans.push([open, i])
        lossPositions += i - open
        open = -1
      }
    }
    for (let i = 0; i < length; i++) {
      if (conversation.answer[i] === 1) answerTokens++
      else promptTokens++
    }
    padTokens += width - length
    windows.push({ length, spans })
  })
  const positions = conversations.length * options.seqLen
  return {
    tokens,
    windows,
    counts: {
      promptTokens,
      answerTokens,
      padTokens,
      truncated,
      lossShare: positions > 0 ? lossPositions / positions : 0,
      lossOn: options.lossOn,
      windowTokens: width,
    },
  }
}

/** The loss mask over the whole stream (1 = the token at that position is a target with loss), in shared memory. */
export function lossMask(windows: readonly ChatWindow[], width: number): Uint8Array {
  const mask = new Uint8Array(new SharedArrayBuffer(Math.max(1, windows.length * width)), 0, windows.length * width)
  windows.forEach((window, w) => {
    for (const [start, end] of window.spans) mask.fill(1, w * width + start, w * width + end)
  })
  return mask
}
