/**
 * Reads a SentencePiece-style BPE `tokenizer.json` (`model.byte_fallback: true`: Llama 2,
 * TinyLlama, Mistral) and accepts the two forms Hugging Face's converter writes, refusing any other
 * naming the field:
 * - legacy: normalizer `Sequence[Prepend("▁"), Replace(" " → "▁")]`, no pre-tokenizer;
 * - non-legacy: no normalizer (or only the Replace), pre-tokenizer `Metaspace` with replacement ▁,
 *   `prepend_scheme` `first`/`always`/`never` and `split: false`.
 * Metaspace with `split: true` (the default of files that do not say) is refused: Rust's tokenizers
 * then cut the text before every ▁, which SentencePiece, llama.cpp and the JavaScript port do not,
 * so no one encoding is right. The decoder must be `Sequence[Replace(▁ → " "), ByteFallback, Fuse]`
 * with or without a final `Strip(" ", 1, 0)`.
 */
import type { UserError } from '../../../shared/errors'
import type { HfTokenizerFile } from './bpe'
import { familySections, readBeginOfText, type FamilySections } from './family-sections'
import { META, type SentencePiecePrepend } from './sentencepiece-encoder'

export interface SentencePieceShape {
  kind: 'sentencepiece'
  prepend: SentencePiecePrepend
  /** The decoder's trailing `Strip(" ", 1, 0)`: the first space of a decoded text is dropped. */
  stripsLeadingSpace: boolean
  /** The content of the token the post_processor puts before every sequence (`<s>`), or null. */
  beginOfText: string | null
  /** The model section's fields other than vocab and merges, written back as they came. */
  modelFields: Record<string, unknown>
  /** Merges were written as [left, right] pairs (else as "left right" strings). */
  mergesAsPairs: boolean
  sections: FamilySections
}

interface Step {
  type?: unknown
  prepend?: unknown
  pattern?: { String?: unknown; Regex?: unknown }
  content?: unknown
  replacement?: unknown
  prepend_scheme?: unknown
  add_prefix_space?: unknown
  split?: unknown
  str_rep?: unknown
  start?: unknown
  stop?: unknown
  normalizers?: unknown
  decoders?: unknown
}

const isReplace = (step: Step | undefined, from: string, to: string): boolean =>
  step?.type === 'Replace' &&
  step.pattern?.String === from &&
  step.pattern.Regex === undefined &&
  step.content === to

const isPrepend = (step: Step | undefined): boolean =>
  step?.type === 'Prepend' && step.prepend === META

export function readSentencePieceShape(
  file: HfTokenizerFile,
  invalid: (why: string) => UserError,
): SentencePieceShape {
  const model = (file.model ?? {}) as Record<string, unknown>
  if (model.ignore_merges === true)
    throw invalid(
      'model.ignore_merges is true in a SentencePiece-style (byte_fallback) BPE, a combination the engine does not reproduce',
    )

  // The normalizer: Prepend and Replace (either order), only Replace, or none.
  const normalizer = file.normalizer as Step | null | undefined
  const steps: Step[] =
    normalizer?.type === 'Sequence' && Array.isArray(normalizer.normalizers)
      ? (normalizer.normalizers as Step[])
      : normalizer
        ? [normalizer]
        : []
  const replaces = steps.filter((step) => isReplace(step, ' ', META)).length
  const prepends = steps.filter(isPrepend).length
  if (replaces > 1 || prepends > 1 || replaces + prepends !== steps.length)
    throw invalid(
      `its normalizer ${JSON.stringify(normalizer)} is not SentencePiece's (Prepend "▁" and Replace " " → "▁")`,
    )

  let prepend: SentencePiecePrepend
  const pre = file.pre_tokenizer as Step | null | undefined
  if (pre === null || pre === undefined) {
    if (replaces === 0)
      throw invalid('it has neither a normalizer nor a pre_tokenizer turning spaces into ▁')
    prepend = prepends > 0 ? 'prepend' : 'never'
  } else {
    if (pre.type !== 'Metaspace')
      throw invalid(
        `its pre_tokenizer ${JSON.stringify(pre.type)} is not Metaspace (or none), the only ones SentencePiece-style BPE is encoded with here`,
      )
    if (prepends > 0)
      throw invalid('it has both a Prepend normalizer and a Metaspace pre_tokenizer, which would put ▁ twice')
    if (pre.replacement !== META || (pre.str_rep !== undefined && pre.str_rep !== META))
      throw invalid(`its pre_tokenizer.replacement is ${JSON.stringify(pre.replacement)}, not "▁"`)
    if (pre.split !== false)
      throw invalid(
        'its Metaspace pre_tokenizer.split is not false: Rust tokenizers then cut the text before every ▁, unlike SentencePiece and llama.cpp',
      )
    const scheme = pre.prepend_scheme
    if (scheme === undefined) {
      // Files older than prepend_scheme: Rust maps add_prefix_space false to never, the
      // JavaScript port ignores it (always); only the case both agree on is taken.
      if (pre.add_prefix_space === false)
        throw invalid('its pre_tokenizer.add_prefix_space is false without a prepend_scheme')
      prepend = 'metaspace-always'
    } else if (scheme === 'first' || scheme === 'always') {
      prepend = scheme === 'first' ? 'metaspace-first' : 'metaspace-always'
    } else if (scheme === 'never') {
      prepend = 'never'
    } else {
      throw invalid(`its pre_tokenizer.prepend_scheme ${JSON.stringify(scheme)} is not first, always or never`)
    }
  }

  // The decoder: Replace(▁ → " "), ByteFallback, Fuse, then optionally Strip(" ", 1, 0).
  const decoder = file.decoder as Step | null | undefined
  const decoders = decoder?.type === 'Sequence' && Array.isArray(decoder.decoders) ? (decoder.decoders as Step[]) : []
  const strip = decoders[3]
  const stripsLeadingSpace =
    strip?.type === 'Strip' && strip.content === ' ' && strip.start === 1 && strip.stop === 0
  const decoderOk =
    isReplace(decoders[0], META, ' ') &&
    decoders[1]?.type === 'ByteFallback' &&
    decoders[2]?.type === 'Fuse' &&
    (decoders.length === 3 || (decoders.length === 4 && stripsLeadingSpace))
  if (!decoderOk)
    throw invalid(
      `its decoder is not SentencePiece's Sequence[Replace "▁" → " ", ByteFallback, Fuse, Strip " " 1 0] (${JSON.stringify(decoder?.type ?? null)})`,
    )

  const postType = (file.post_processor as { type?: unknown } | null | undefined)?.type
  if (file.post_processor && postType !== 'TemplateProcessing')
    throw invalid(`its post_processor ${JSON.stringify(postType)} is not TemplateProcessing`)

  const { vocab: _vocab, merges, ...modelFields } = model
  return {
    kind: 'sentencepiece',
    prepend,
    stripsLeadingSpace,
    beginOfText: readBeginOfText(file.post_processor, invalid),
    modelFields,
    mergesAsPairs: Array.isArray(merges) && Array.isArray(merges[0]),
    sections: familySections(file),
  }
}
