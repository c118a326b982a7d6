/**
 * The special tokens an export names (config.json's bos/eos ids, tokenizer_config.json, GGUF's
 * `tokenizer.ggml.{bos,eos}_token_id` and `add_bos_token`), read from the run's own tokenizer.json and
 * chat template so that both exports say the same:
 *
 * - BOS: the token the family's post_processor puts in front of every text (Llama 3's
 *   TemplateProcessing `<|begin_of_text|>`; then `addBos`), else the chat template's `bos_token`,
 *   else the end-of-text token (GPT-2's convention: one token for both ends).
 * - EOS: the chat template's `eos_token` (the end of an assistant turn), else the end-of-text token.
 */
import type { ChatTemplateSource } from '../chat/template'
import { corruptCheckpoint } from './errors'

/** The tokens that end a document, in order of preference (as the tokenizer picks its endOfText). */
const END_OF_TEXT_CANDIDATES = ['<|endoftext|>', '<|end_of_text|>', '</s>']

export interface SpecialToken {
  id: number
  text: string
}

export interface ExportTokens {
  bos: SpecialToken | null
  eos: SpecialToken | null
  /** The family's tokenizer puts BOS in front of every text (Hugging Face does it in its post_processor). */
  addBos: boolean
}

interface TokenizerSections {
  model?: { vocab?: Record<string, unknown> }
  added_tokens?: Array<{ id?: unknown; content?: unknown }>
  post_processor?: unknown
}

interface Processor {
  type?: unknown
  processors?: unknown
  single?: unknown
  special_tokens?: unknown
}

/** The special token a TemplateProcessing (alone or in a Sequence) puts before the text, if any. */
function leadingSpecial(processor: unknown): string | undefined {
  const step = processor as Processor | null | undefined
  if (step?.type === 'Sequence' && Array.isArray(step.processors)) {
    for (const inner of step.processors) {
      const found = leadingSpecial(inner)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (step?.type !== 'TemplateProcessing' || !Array.isArray(step.single)) return undefined
  const first = step.single[0] as { SpecialToken?: { id?: unknown } } | undefined
  return typeof first?.SpecialToken?.id === 'string' ? first.SpecialToken.id : undefined
}

export function parseTokenizerJson(text: string, source: string): TokenizerSections {
  try {
    return JSON.parse(text) as TokenizerSections
  } catch {
    throw corruptCheckpoint(source, 'its tokenizer is not valid tokenizer.json text')
  }
}

export function exportTokens(tokenizer: TokenizerSections, chat: ChatTemplateSource | undefined): ExportTokens {
  const ids = new Map<string, number>()
  for (const [text, id] of Object.entries(tokenizer.model?.vocab ?? {})) if (typeof id === 'number') ids.set(text, id)
  for (const added of tokenizer.added_tokens ?? [])
    if (typeof added.content === 'string' && typeof added.id === 'number') ids.set(added.content, added.id)
  const token = (text: string | undefined): SpecialToken | null => {
    const id = text ? ids.get(text) : undefined
    return id === undefined ? null : { id, text: text! }
  }
  const endOfText = END_OF_TEXT_CANDIDATES.map(token).find((t) => t !== null) ?? null
  const leading = token(leadingSpecial(tokenizer.post_processor))
  return {
    bos: leading ?? token(chat?.bosToken) ?? endOfText,
    eos: token(chat?.eosToken) ?? endOfText,
    addBos: leading !== null,
  }
}
