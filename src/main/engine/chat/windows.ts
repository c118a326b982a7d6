/**
 * Chat data in windows of seqLen + 1 tokens. A conversation longer than a window is cut at its end.
 *
 * - packed (the default): conversations share windows, placed best-fit by decreasing length, and the
 *   rest of a window is padding. Each token's position inside its conversation goes to the spheres
 *   (`chatPositions`): attention stays inside each conversation (a block-diagonal causal mask) and
 *   positions restart at each, so a packed conversation computes exactly what it would alone.
 * - padded: one conversation per window, padded after its end; causal attention alone is exact.
 *
 * Packed windows carry the same loss-bearing tokens in fewer windows: docs/architecture.md has the
 * measured figures. Training and validation conversations never share a window (groups are laid out
 * one after the other).
 *
 * The loss mask says, per position of the stream, whether that token is a target carrying the loss:
 * an answer's token (or, with lossOn 'all', any token of the conversation) that is not the first of
 * its conversation. It is kept as spans per conversation, which the dataset manifest stores, and
 * expanded into a shared byte array for the spheres.
 */
import type { ChatPacking, ChatTokenCounts, LossOn } from '../../../shared/chat'
import { tokenArrayFor, type TokenArray } from '../dataset/encode'
import type { EncodedConversation } from './encode'

/** Where one conversation lies: its first token's offset in the stream, its length there, and its runs of targets with loss. */
export interface PlacedConversation {
  /** Stream offset of its first token (absent in datasets laid out before packing: window × width). */
  start?: number
  length: number
  /** [start, end) relative to the conversation's first token. */
  spans: Array<[number, number]>
}

export interface ChatWindows {
  tokens: TokenArray
  /** Per group, per conversation in the order given. */
  placed: PlacedConversation[][]
  /** Per group, the stream offset where its windows begin; the stream ends after the last group's. */
  groupStarts: number[]
  counts: Omit<ChatTokenCounts, 'trainConversations' | 'validationConversations' | 'conversations'>
}

export interface LayoutOptions {
  seqLen: number
  vocabSize: number
  padId: number
  lossOn: LossOn
  packing: ChatPacking
}

/** Lays out each group's conversations in windows of their own, the groups one after the other. */
export function layOutWindows(groups: ReadonlyArray<readonly EncodedConversation[]>, options: LayoutOptions): ChatWindows {
  const width = options.seqLen + 1
  const assignments = groups.map((group) => assignWindows(group.map((c) => Math.min(width, c.ids.length)), width, options.packing))
  const windows = assignments.reduce((sum, a) => sum + a.windows, 0)
  const tokens = tokenArrayFor(options.vocabSize, windows * width)
  tokens.fill(options.padId)
  let promptTokens = 0
  let answerTokens = 0
  let truncated = 0
  let lossPositions = 0
  let realTokens = 0
  let base = 0
  const groupStarts: number[] = []
  const placed = groups.map((group, g) => {
    groupStarts.push(base)
    const { offsets, windows: count } = assignments[g]
    const out = group.map((conversation, c) => {
      const length = Math.min(width, conversation.ids.length)
      if (conversation.ids.length > width) truncated++
      const start = base + offsets[c]
      for (let i = 0; i < length; i++) tokens[start + i] = conversation.ids[i]
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
      realTokens += length
      return { start, length, spans }
    })
    base += count * width
    return out
  })
  const positions = windows * options.seqLen
  return {
    tokens,
    placed,
    groupStarts,
    counts: {
      promptTokens,
      answerTokens,
      padTokens: windows * width - realTokens,
      truncated,
      lossShare: positions > 0 ? lossPositions / positions : 0,
      lossOn: options.lossOn,
      windowTokens: width,
      windows,
      packing: options.packing,
    },
  }
}

/**
 * Each conversation's offset from the group's first window (window × width + place inside it), and
 * the windows used. Packed: best fit by decreasing length (ties in the given order); the free space
 * of every open window is bucketed by size, so a placement looks at no more than `width` buckets.
 */
function assignWindows(lengths: readonly number[], width: number, packing: ChatPacking): { offsets: number[]; windows: number } {
  if (packing === 'padded') return { offsets: lengths.map((_, i) => i * width), windows: lengths.length }
  const offsets = new Array<number>(lengths.length)
  const used: number[] = []
  // byFree[f]: the windows with exactly f tokens free.
  const byFree: number[][] = Array.from({ length: width + 1 }, () => [])
  const order = [...lengths.keys()].sort((a, b) => lengths[b] - lengths[a] || a - b)
  for (const c of order) {
    const n = lengths[c]
    let free = n
    while (free <= width && byFree[free].length === 0) free++
    let w: number
    if (free <= width) {
      w = byFree[free].shift()!
    } else {
      w = used.length
      used.push(0)
    }
    offsets[c] = w * width + used[w]
    used[w] += n
    byFree[width - used[w]].push(w)
  }
  return { offsets, windows: used.length }
}

/** Each conversation's stream offset: its recorded start, or (datasets laid out before packing) its window's. */
export function conversationStart(conversation: PlacedConversation, index: number, width: number): number {
  return conversation.start ?? index * width
}

/** The loss mask over the whole stream (1 = the token at that position is a target with loss), in shared memory. */
export function lossMask(conversations: readonly PlacedConversation[], width: number, total: number): Uint8Array {
  const mask = new Uint8Array(new SharedArrayBuffer(Math.max(1, total)), 0, total)
  conversations.forEach((conversation, c) => {
    const start = conversationStart(conversation, c, width)
    for (const [from, to] of conversation.spans) mask.fill(1, start + from, start + to)
  })
  return mask
}

/**
 * Packed windows: per position of the stream, that token's position inside its conversation; the
 * padding after a window's last conversation counts as a segment of its own. In shared memory.
 */
export function chatPositions(conversations: readonly PlacedConversation[], width: number, total: number): Uint16Array {
  const positions = new Uint16Array(new SharedArrayBuffer(Math.max(2, total * 2)), 0, total)
  const spans = conversations
    .map((c, i) => ({ start: conversationStart(c, i, width), length: c.length }))
    .sort((a, b) => a.start - b.start)
  let next = 0
  for (let w = 0; w * width < total; w++) {
    const end = Math.min(total, (w + 1) * width)
    let at = w * width
    for (; next < spans.length && spans[next].start < end; next++) {
      const { start, length } = spans[next]
      for (let i = at; i < start; i++) positions[i] = i - at
      for (let i = 0; i < length; i++) positions[start + i] = i
      at = start + length
    }
    for (let i = at; i < end; i++) positions[i] = i - at
  }
  return positions
}
