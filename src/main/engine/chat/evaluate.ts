/**
 * Validation loss on conversations: the mean cross-entropy over the targets that carry the loss (the
 * answers' tokens), as training measures it — the conversations laid out in packed windows with their
 * loss mask and positions, scored by the trainer's forward passes (no gradient). The loss is per
 * answer token, so it compares with a chat run's validation curve, not with a text's loss.
 */
import type { ChatMessage } from '../../../shared/chat'
import { UserError } from '../../../shared/errors'
import type { EvaluationResult } from '../../../shared/training'
import { DEFAULT_CHAT_PACKING } from '../dataset/prepare-chat'
import type { TokenArray } from '../dataset/encode'
import type { Trainer } from '../model/trainer'
import type { Tokenizer } from '../tokenizer'
import { encodeConversation, specialTokensOf } from './encode'
import type { ChatTemplate } from './template'
import { chatPositions, layOutWindows, lossMask } from './windows'

/** Windows of a chat stream to score: their starts, the stream's loss mask and (packed) positions. */
export interface ChatWindowsToScore {
  tokens: TokenArray
  starts: number[]
  mask: Uint8Array
  positions?: Uint16Array
}

/** Mean loss over the windows' targets that carry the loss; `tokens` is how many did. */
export async function scoreChatWindows(
  trainer: Pick<Trainer, 'evaluate' | 'config'>,
  windows: ChatWindowsToScore,
): Promise<EvaluationResult> {
  const T = trainer.config.seqLen
  let carrying = 0
  for (const start of windows.starts) for (let j = 1; j <= T; j++) carrying += windows.mask[start + j]
  if (carrying === 0) {
    throw new UserError('no-usable-text', 'No answer token falls within a window: there is nothing to score.')
  }
  const loss = await trainer.evaluate(windows.tokens, windows.starts, windows.mask, windows.positions)
  return { loss, perplexity: Math.exp(loss), tokens: carrying }
}

/** Conversations rendered with `template`, answers only, in packed windows of the model's seqLen + 1. */
export function conversationWindows(
  conversations: ReadonlyArray<{ messages: readonly ChatMessage[] }>,
  tokenizer: Tokenizer,
  template: ChatTemplate,
  seqLen: number,
): ChatWindowsToScore {
  const specials = specialTokensOf(tokenizer)
  const encoded = conversations.map((c) => encodeConversation(tokenizer, template, c.messages, specials))
  const laid = layOutWindows([encoded], {
    seqLen, vocabSize: tokenizer.vocabSize, padId: tokenizer.endOfText, lossOn: 'answers', packing: DEFAULT_CHAT_PACKING,
  })
  const width = seqLen + 1
  const total = laid.tokens.length
  return {
    tokens: laid.tokens,
    starts: Array.from({ length: laid.counts.windows ?? 0 }, (_, w) => w * width),
    mask: lossMask(laid.placed[0], width, total),
    ...(DEFAULT_CHAT_PACKING === 'packed' ? { positions: chatPositions(laid.placed[0], width, total) } : {}),
  }
}
