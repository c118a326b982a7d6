/**
 * The BOS/EOS rule a Hugging Face folder's tokenizer really applies. Mostly it is tokenizer.json's
 * `post_processor`, kept as it is. But transformers' LlamaTokenizer classes (`tokenizer_class`
 * LlamaTokenizer(Fast), CodeLlamaTokenizer(Fast)) rebuild that post_processor when they load, from
 * tokenizer_config.json's `add_bos_token` (default true) and `add_eos_token` (default false)
 * (`LlamaTokenizerFast.update_post_processor`); for those the same TemplateProcessing is written into
 * the run's tokenizer.json here, so the run (and an export of it) keeps the rule transformers uses.
 */
import { refuse } from './hf-folder'

const REBUILDING_CLASSES = new Set(['LlamaTokenizer', 'LlamaTokenizerFast', 'CodeLlamaTokenizer', 'CodeLlamaTokenizerFast'])

interface TokenizerFile {
  added_tokens?: Array<{ id?: unknown; content?: unknown }>
  model?: { vocab?: Record<string, unknown> }
  post_processor?: unknown
}

/** A token's text in tokenizer_config.json: a string, or an AddedToken object's `content`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  const content = (value as { content?: unknown } | null | undefined)?.content
  return typeof content === 'string' ? content : undefined
}

/**
 * tokenizer.json's text with the post_processor transformers would load for this
 * tokenizer_config.json; the text unchanged where the class keeps the file's own.
 */
export function withLoadedPostProcessor(tokenizerText: string, tokenizerConfig: Record<string, unknown> | undefined, configFile: string): string {
  const tokenizerClass = tokenizerConfig?.tokenizer_class
  if (!tokenizerConfig || typeof tokenizerClass !== 'string' || !REBUILDING_CLASSES.has(tokenizerClass)) return tokenizerText
  let file: TokenizerFile
  try {
    file = JSON.parse(tokenizerText) as TokenizerFile
  } catch {
    return tokenizerText // refused as not JSON by the tokenizer reader
  }
  const addBos = tokenizerConfig.add_bos_token === undefined ? true : tokenizerConfig.add_bos_token === true
  const addEos = tokenizerConfig.add_eos_token === true
  const idOf = (field: 'bos_token' | 'eos_token'): { text: string; id: number } => {
    const text = tokenText(tokenizerConfig[field])
    if (text === undefined) throw refuse(`${configFile}: ${field === 'bos_token' ? 'add_bos_token' : 'add_eos_token'} is true but ${field} is not set.`)
    const added = file.added_tokens?.find((token) => token.content === text)
    const id = typeof added?.id === 'number' ? added.id : file.model?.vocab?.[text]
    if (typeof id !== 'number') throw refuse(`${configFile}: ${field} ${JSON.stringify(text)} is not a token of tokenizer.json.`)
    return { text, id }
  }
  const bos = addBos ? idOf('bos_token') : undefined
  const eos = addEos ? idOf('eos_token') : undefined
  const special = (token: { text: string } | undefined, typeId: number): object[] =>
    token ? [{ SpecialToken: { id: token.text, type_id: typeId } }] : []
  const sequence = (id: 'A' | 'B', typeId: number): object => ({ Sequence: { id, type_id: typeId } })
  const specialTokens: Record<string, object> = {}
  for (const token of [bos, eos]) if (token) specialTokens[token.text] = { id: token.text, ids: [token.id], tokens: [token.text] }
  file.post_processor = {
    type: 'TemplateProcessing',
    single: [...special(bos, 0), sequence('A', 0), ...special(eos, 0)],
    pair: [...special(bos, 0), sequence('A', 0), ...special(eos, 0), ...special(bos, 1), sequence('B', 1), ...special(eos, 1)],
    special_tokens: specialTokens,
  }
  return JSON.stringify(file)
}
