/**
 * The sections of a family's `tokenizer.json` kept as they came (written back on save), and the
 * BOS its post_processor puts before every sequence.
 */
import type { UserError } from '../../../shared/errors'
import type { HfTokenizerFile } from './bpe'

/** A family's own sections, written back unchanged on save. */
export interface FamilySections {
  addedTokens: unknown[]
  normalizer: unknown
  preTokenizer: unknown
  postProcessor: unknown
  decoder: unknown
}

export function familySections(file: HfTokenizerFile): FamilySections {
  return {
    addedTokens: file.added_tokens ?? [],
    normalizer: file.normalizer ?? null,
    preTokenizer: file.pre_tokenizer ?? null,
    postProcessor: file.post_processor ?? null,
    decoder: file.decoder ?? null,
  }
}

interface TemplatePiece {
  SpecialToken?: { id?: unknown }
  Sequence?: { id?: unknown }
}

/**
 * The BOS the post_processor puts before a single sequence: the leading special token of its
 * `TemplateProcessing` (alone or in a `Sequence` of processors); null when there is none. Throws
 * (through `invalid`) when the template is there but not a leading special, the sequence `A`, and
 * trailing specials (which the engine does not add: a document's end gets the end-of-text token).
 */
export function readBeginOfText(
  postProcessor: unknown,
  invalid: (why: string) => UserError,
): string | null {
  const processor = postProcessor as
    | { type?: unknown; processors?: unknown; single?: unknown; special_tokens?: unknown }
    | null
    | undefined
  if (!processor) return null
  if (processor.type === 'Sequence' && Array.isArray(processor.processors)) {
    const templates = (processor.processors as Array<{ type?: unknown }>).filter(
      (step) => step?.type === 'TemplateProcessing',
    )
    return templates.length === 1 ? readBeginOfText(templates[0], invalid) : null
  }
  if (processor.type !== 'TemplateProcessing') return null
  const single = Array.isArray(processor.single) ? (processor.single as TemplatePiece[]) : []
  const sequence = single.findIndex((piece) => piece?.Sequence !== undefined)
  const shapeOk =
    sequence >= 0 &&
    sequence <= 1 &&
    single.every((piece, i) => i === sequence || piece?.SpecialToken !== undefined)
  if (!shapeOk)
    throw invalid(
      'its post_processor.single is not [BOS?, the text, specials…], the only templates the engine reproduces',
    )
  if (sequence === 0) return null
  const name = single[0].SpecialToken?.id
  const entry = (processor.special_tokens as Record<string, { ids?: unknown; tokens?: unknown }> | undefined)?.[
    String(name)
  ]
  const tokens = entry?.tokens
  if (!Array.isArray(tokens) || tokens.length !== 1 || typeof tokens[0] !== 'string')
    throw invalid(`its post_processor's special token ${JSON.stringify(name)} is not one token`)
  return tokens[0]
}

