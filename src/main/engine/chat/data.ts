/**
 * Which files of a scanned folder are the training data — plain text or chat data (`.jsonl`) — and
 * the conversations of the chat files with every bad line. A folder that mixes both kinds is
 * refused under `auto`, with the reason, unless the user chose one kind.
 */
import type { ChatDataSummary, DataKindChoice } from '../../../shared/chat'
import { UserError } from '../../../shared/errors'
import { isChatFile, parseChatFile, type Conversation } from './records'

export interface Document {
  path: string
  text: string
}

export type DataSelection<D extends Document> =
  | { kind: 'text'; documents: D[] }
  | { kind: 'chat'; documents: D[] }

/** The documents that make the training data, and their kind. */
export function selectData<D extends Document>(
  documents: readonly D[],
  choice: DataKindChoice = 'auto',
): DataSelection<D> {
  const chat = documents.filter((document) => isChatFile(document.path))
  const text = documents.filter((document) => !isChatFile(document.path))
  if (choice === 'chat' || (choice === 'auto' && text.length === 0 && chat.length > 0)) {
    if (chat.length === 0)
      throw new UserError('no-usable-text', 'The folder holds no .jsonl chat data (--data chat).')
    return { kind: 'chat', documents: chat }
  }
  if (choice === 'text' || chat.length === 0) {
    if (text.length === 0)
      throw new UserError('no-usable-text', 'The folder holds only .jsonl chat data, no plain text (--data text).')
    return { kind: 'text', documents: text }
  }
  throw new UserError(
    'invalid-config',
    `The folder mixes plain text (${count(text.length, 'file')}, e.g. ${text[0].path}) and chat data (${count(chat.length, '.jsonl file')}, e.g. ${chat[0].path}): train on one kind — choose chat or text (--data chat|text).`,
  )
}

export interface ChatData {
  conversations: Conversation[]
  summary: ChatDataSummary
}

/** Parses every chat file; conversations in file order, then line order. */
export function readChatData(documents: readonly Document[]): ChatData {
  const conversations: Conversation[] = []
  const summary: ChatDataSummary = { files: [], conversations: 0, issues: [] }
  for (const document of documents) {
    if (!isChatFile(document.path)) continue
    const parsed = parseChatFile(document.path, document.text)
    conversations.push(...parsed.conversations)
    summary.issues.push(...parsed.issues)
    summary.files.push({
      path: document.path,
      shape: parsed.shape,
      conversations: parsed.conversations.length,
      badLines: parsed.issues.length,
    })
  }
  summary.conversations = conversations.length
  return { conversations, summary }
}

/** Refuses chat data with no usable conversation, naming the first bad lines. */
export function requireConversations(data: ChatData): void {
  if (data.conversations.length > 0) return
  const first = data.summary.issues.slice(0, 3).map(describeIssue).join('; ')
  throw new UserError(
    'no-usable-text',
    `The chat data holds no usable conversation${first ? `: ${first}` : ''}.`,
  )
}

export function describeIssue(issue: { file: string; line: number; reason: string }): string {
  return `${issue.file}:${issue.line}: ${issue.reason}`
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
