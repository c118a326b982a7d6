/**
 * A checkpoint whose tokenizer carries a byte-level family's own sections (as a run started from a
 * SmolLM2, Qwen2.5 or Llama 3 folder keeps them): the same vocabulary and merges, the family's
 * normalizer, pre-tokenizer, decoder and BOS rule. The weights are the run's own; ids mean the same.
 */
import { join } from 'node:path'
import { loadCheckpoint, saveCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { parseTokenizer } from '../../../../../src/main/engine/tokenizer'
import { FAMILY_SPLIT_PATTERNS } from '../../../../../src/main/engine/tokenizer/pretokenize'

export type Family = 'smollm' | 'qwen2' | 'llama3'

const byteLevel = (useRegex: boolean): object => ({
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: useRegex,
})
const split = (pattern: string): object => ({ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false })

/** The sections each family's published tokenizer.json has (SmolLM2, Qwen2.5, Llama 3.2). */
const SECTIONS: Record<Family, object> = {
  smollm: {
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] },
    post_processor: null,
  },
  qwen2: {
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split(FAMILY_SPLIT_PATTERNS.qwen2), byteLevel(false)] },
    post_processor: null,
  },
  llama3: {
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split(FAMILY_SPLIT_PATTERNS.llama3), byteLevel(false)] },
  },
}

type Json = Record<string, unknown> & { model: Record<string, unknown>; added_tokens: Array<Record<string, unknown>> }

/**
 * The tokenizer.json text of `family` over the vocabulary of `tokenizerJson`. Llama 3 needs two
 * specials where a trained tokenizer has one: `<|begin_of_text|>` takes the last learned token's id
 * (`<|end_of_text|>` keeps the end-of-text id), and its merge goes, so the vocabulary size is unchanged.
 */
export function familyTokenizer(tokenizerJson: string, family: Family): string {
  const file = JSON.parse(tokenizerJson) as Json
  Object.assign(file, SECTIONS[family], { decoder: byteLevel(true) })
  if (family === 'llama3') {
    const end = file.added_tokens[0]
    end.content = '<|end_of_text|>'
    const vocab = file.model.vocab as Record<string, number>
    const merges = file.model.merges as string[]
    const bosId = (end.id as number) - 1
    const [lastSpelling] = Object.entries(vocab).find(([, id]) => id === bosId)!
    delete vocab[lastSpelling]
    merges.splice(merges.length - 1, 1)
    file.added_tokens.push({ ...end, id: bosId, content: '<|begin_of_text|>' })
    file.post_processor = {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } },
            { Sequence: { id: 'B', type_id: 1 } },
          ],
          special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [bosId], tokens: ['<|begin_of_text|>'] } },
        },
      ],
    }
    file.model.ignore_merges = true
  }
  // Through the engine's own reader and writer: the text a run keeps.
  return parseTokenizer(JSON.stringify(file), `${family} tokenizer.json`).serialize()
}

/** A copy of `checkpoint` beside it whose tokenizer is `family`'s (see familyTokenizer). */
export async function withFamilyTokenizer(checkpoint: string, family: Family, dir: string): Promise<string> {
  const { metadata, state } = await loadCheckpoint(checkpoint)
  const path = join(dir, `${family}.safetensors`)
  await saveCheckpoint(path, { metadata: { ...metadata, tokenizer: familyTokenizer(metadata.tokenizer, family) }, state })
  return path
}
