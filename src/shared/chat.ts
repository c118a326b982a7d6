import { z } from 'zod'

/** The roles a conversation may hold (OpenAI / Hugging Face chat messages). */
export const ChatRole = z.enum(['system', 'user', 'assistant'])
export type ChatRole = z.infer<typeof ChatRole>

export const ChatMessage = z.object({ role: ChatRole, content: z.string() })
export type ChatMessage = z.infer<typeof ChatMessage>

/** The record shapes a `.jsonl` file may hold, detected per file. */
export const ChatShape = z.enum(['messages', 'alpaca', 'prompt-completion'])
export type ChatShape = z.infer<typeof ChatShape>

export const chatShapeLabels: Record<ChatShape, string> = {
  messages: 'chat messages {"messages": [{"role", "content"}, …]}',
  alpaca: 'Alpaca {"instruction", "input", "output"}',
  'prompt-completion': 'prompt and completion {"prompt", "completion"}',
}

/** A line of a `.jsonl` file that was not used, and why. */
export const ChatLineIssue = z.object({
  file: z.string(),
  line: z.number().int().positive(),
  reason: z.string(),
})
export type ChatLineIssue = z.infer<typeof ChatLineIssue>

export const ChatFileSummary = z.object({
  path: z.string(),
  /** Null when no line of the file holds a known shape. */
  shape: ChatShape.nullable(),
  conversations: z.number().int().nonnegative(),
  badLines: z.number().int().nonnegative(),
})
export type ChatFileSummary = z.infer<typeof ChatFileSummary>

/** What a folder's `.jsonl` files hold: conversations per file and every line that was not used. */
export const ChatDataSummary = z.object({
  files: z.array(ChatFileSummary),
  conversations: z.number().int().nonnegative(),
  /** Every bad line, in file and line order. */
  issues: z.array(ChatLineIssue),
})
export type ChatDataSummary = z.infer<typeof ChatDataSummary>

/**
 * Which files of a folder make the training data: `auto` takes plain text or chat data, whichever
 * the folder holds, and refuses a folder that mixes both; `chat` takes only the `.jsonl` files,
 * `text` only the others.
 */
export const DataKindChoice = z.enum(['auto', 'chat', 'text'])
export type DataKindChoice = z.infer<typeof DataKindChoice>

/** Which tokens of chat data carry the loss. */
export const LossOn = z.enum(['answers', 'all'])
export type LossOn = z.infer<typeof LossOn>

/**
 * How conversations fill the windows: `packed` puts several in one window (attention and positions
 * kept inside each conversation), `padded` one per window. Both are exact; packed is the default.
 */
export const ChatPacking = z.enum(['packed', 'padded'])
export type ChatPacking = z.infer<typeof ChatPacking>

/** The chat dataset's token counts, shown before training. */
export const ChatTokenCounts = z.object({
  conversations: z.number().int().nonnegative(),
  trainConversations: z.number().int().nonnegative(),
  validationConversations: z.number().int().nonnegative(),
  /** Tokens of the rendered conversations that are prompt (template, system, user turns). */
  promptTokens: z.number().int().nonnegative(),
  /** Tokens of the assistants' answers (their end-of-turn marker included). */
  answerTokens: z.number().int().nonnegative(),
  /** Padding that fills the windows after their conversations. */
  padTokens: z.number().int().nonnegative(),
  /** Conversations longer than a window, cut at its end. */
  truncated: z.number().int().nonnegative(),
  /** Conversations left out because no answer token fits in their window. */
  withoutAnswer: z.number().int().nonnegative().optional(),
  /** Share of the windows' target positions that carry the loss. */
  lossShare: z.number().min(0).max(1),
  lossOn: LossOn,
  /** Tokens per window: seqLen + 1. */
  windowTokens: z.number().int().positive(),
  /** Windows the conversations fill (absent in datasets from before packing: one per conversation). */
  windows: z.number().int().nonnegative().optional(),
  /** Absent in datasets from before packing: padded. */
  packing: ChatPacking.optional(),
})
export type ChatTokenCounts = z.infer<typeof ChatTokenCounts>
