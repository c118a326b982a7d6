/**
 * Chat and instruction data from `.jsonl` files: one JSON object a line, in one of three shapes —
 * `{"messages": [{"role", "content"}, …]}` (OpenAI / Hugging Face chat), `{"instruction", "input",
 * "output"}` (Alpaca) and `{"prompt", "completion"}` — detected per file from its first usable line.
 * Every line that cannot be used is reported with its file, line number and reason; none is
 * skipped silently. Blank lines are not records and are passed over.
 */
import type {
  ChatLineIssue,
  ChatMessage,
  ChatRole,
  ChatShape,
} from '../../../shared/chat'

export interface Conversation {
  /** The file (relative to the scanned folder) and 1-based line it came from. */
  file: string
  line: number
  messages: ChatMessage[]
}

export interface ParsedChatFile {
  path: string
  shape: ChatShape | null
  conversations: Conversation[]
  issues: ChatLineIssue[]
}

const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant']

/** Whether a corpus path is chat data (by its extension). */
export function isChatFile(path: string): boolean {
  return path.toLowerCase().endsWith('.jsonl')
}

export function parseChatFile(path: string, text: string): ParsedChatFile {
  const conversations: Conversation[] = []
  const issues: ChatLineIssue[] = []
  let shape: ChatShape | null = null
  const lines = text.split('\n')
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  lines.forEach((raw, index) => {
    const line = index + 1
    const source = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (source.trim() === '') return
    const bad = (reason: string): void => void issues.push({ file: path, line, reason })
    let value: unknown
    try {
      value = JSON.parse(source)
    } catch (error) {
      bad(`not valid JSON (${(error as Error).message})`)
      return
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      bad('not a JSON object')
      return
    }
    const record = value as Record<string, unknown>
    const found = shapeOf(record)
    if (!found) {
      bad('has none of the shapes: "messages", "instruction" + "output", or "prompt" + "completion"')
      return
    }
    if (shape === null) shape = found
    else if (found !== shape) {
      bad(`is a ${found} record in a file of ${shape} records (one shape per file)`)
      return
    }
    const result = toMessages(found, record)
    if (typeof result === 'string') bad(result)
    else conversations.push({ file: path, line, messages: result })
  })
  return { path, shape, conversations, issues }
}

function shapeOf(record: Record<string, unknown>): ChatShape | undefined {
  if ('messages' in record) return 'messages'
  if ('instruction' in record && 'output' in record) return 'alpaca'
  if ('prompt' in record && 'completion' in record) return 'prompt-completion'
  return undefined
}

/** The record as messages, or why it cannot be used. */
function toMessages(shape: ChatShape, record: Record<string, unknown>): ChatMessage[] | string {
  if (shape === 'alpaca') {
    const { instruction, input, output } = record
    if (typeof instruction !== 'string' || instruction.trim() === '')
      return '"instruction" must be a non-empty string'
    if (input !== undefined && input !== null && typeof input !== 'string')
      return '"input" must be a string'
    if (typeof output !== 'string' || output.trim() === '') return '"output" must be a non-empty string'
    const question = typeof input === 'string' && input.trim() !== '' ? `${instruction}\n\n${input}` : instruction
    return [
      { role: 'user', content: question },
      { role: 'assistant', content: output },
    ]
  }
  if (shape === 'prompt-completion') {
    const { prompt, completion } = record
    if (typeof prompt !== 'string' || prompt.trim() === '') return '"prompt" must be a non-empty string'
    if (typeof completion !== 'string' || completion.trim() === '')
      return '"completion" must be a non-empty string'
    return [
      { role: 'user', content: prompt },
      { role: 'assistant', content: completion },
    ]
  }
  const { messages } = record
  if (!Array.isArray(messages) || messages.length === 0) return '"messages" must be a non-empty array'
  const out: ChatMessage[] = []
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as Record<string, unknown> | null
    if (typeof message !== 'object' || message === null || Array.isArray(message))
      return `messages[${i}] is not an object`
    const { role, content } = message
    if (typeof role !== 'string' || !ROLES.includes(role as ChatRole))
      return `messages[${i}].role is ${JSON.stringify(role)}: use "system", "user" or "assistant"`
    if (typeof content !== 'string') return `messages[${i}].content must be a string`
    if (role === 'system' && i > 0) return `messages[${i}] is a system message after the first message`
    out.push({ role: role as ChatRole, content })
  }
  if (!out.some((message) => message.role === 'assistant' && message.content.trim() !== ''))
    return 'has no assistant message with content to learn from'
  return out
}
