/**
 * Which chat template a model uses: the one recorded with it (a checkpoint trained on chat data),
 * the `chat_template` of the Hugging Face folder it was imported from, or the documented default.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ChatTokenCounts } from '../../../shared/chat'
import { UserError } from '../../../shared/errors'
import { END_OF_TEXT } from '../tokenizer'
import { DEFAULT_CHAT_TEMPLATE, type ChatTemplateSource } from './template'

/** GPT-2's one special token stands for both ends, as in its own tokenizer_config.json. */
export const DEFAULT_TEMPLATE_SOURCE: ChatTemplateSource = {
  template: DEFAULT_CHAT_TEMPLATE,
  bosToken: END_OF_TEXT,
  eosToken: END_OF_TEXT,
}

/** The template recorded in a run's or checkpoint's config (`config.chat`), if it has one. */
export function recordedChatTemplate(config: unknown): ChatTemplateSource | undefined {
  const chat = (config as { chat?: unknown } | undefined)?.chat as Partial<ChatTemplateSource> | undefined
  if (!chat || typeof chat.template !== 'string') return undefined
  return {
    template: chat.template,
    bosToken: typeof chat.bosToken === 'string' ? chat.bosToken : '',
    eosToken: typeof chat.eosToken === 'string' ? chat.eosToken : END_OF_TEXT,
  }
}

/** A run's template: its checkpoint's, else its starting model's, else the default. */
export function chatTemplateFor(
  checkpointConfig: unknown,
  initial: { chat?: ChatTemplateSource } | null,
): ChatTemplateSource {
  return recordedChatTemplate(checkpointConfig) ?? initial?.chat ?? DEFAULT_TEMPLATE_SOURCE
}

/**
 * The `chat_template` of a Hugging Face folder's `tokenizer_config.json`, with its `bos_token` and
 * `eos_token` (strings, or `{"content": …}` objects); undefined when the folder has none.
 */
export async function readHfChatTemplate(dir: string): Promise<ChatTemplateSource | undefined> {
  const file = join(dir, 'tokenizer_config.json')
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return undefined
  }
  let config: Record<string, unknown>
  try {
    config = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new UserError('invalid-input', `${file} is not valid JSON.`)
  }
  let template = config.chat_template
  // Some folders list named templates: [{"name": "default", "template": …}, …].
  if (Array.isArray(template)) {
    const named = template.find((entry: { name?: unknown }) => entry?.name === 'default') as { template?: unknown } | undefined
    template = named?.template
  }
  if (typeof template !== 'string' || template.trim() === '') return undefined
  return { template, bosToken: tokenText(config.bos_token), eosToken: tokenText(config.eos_token) || END_OF_TEXT }
}

function tokenText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content
  return ''
}

/** One line for the Train view and the CLI: what the model will learn from. */
export function describeChatCounts(counts: ChatTokenCounts): string {
  const n = (x: number): string => x.toLocaleString('en-US')
  const share = (counts.lossShare * 100).toFixed(1)
  const truncated =
    (counts.truncated > 0 ? `, ${n(counts.truncated)} cut at the window's end` : '') +
    (counts.withoutAnswer ? `, ${n(counts.withoutAnswer)} left out (no answer within the window: raise --seq-len)` : '')
  const windows = counts.windows === undefined ? '' : ` in ${n(counts.windows)} ${counts.packing ?? 'padded'} windows`
  return `Chat: ${n(counts.conversations)} conversations (${n(counts.trainConversations)} training, ${n(counts.validationConversations)} validation)${truncated}; ${n(counts.promptTokens)} prompt and ${n(counts.answerTokens)} answer tokens, ${n(counts.padTokens)} padding${windows}; ${share}% of the tokens carry the loss (${counts.lossOn === 'all' ? 'all tokens' : 'answers only'})`
}
