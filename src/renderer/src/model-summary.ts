/** One line saying what a model to start from is (Start from a model…): family, shape, tokenizer, size. */
import type { ModelSummary } from '../../shared/contract'
import { formatCompact } from './format'

/** The family as its folder names it (a checkpoint: its architecture). */
const FAMILY_NAMES: Record<string, string> = { gpt2: 'GPT-2', llama: 'Llama', qwen2: 'Qwen2', mistral: 'Mistral' }

export function modelFamilyName(model: ModelSummary): string {
  const name = model.family ?? model.model.architecture ?? 'gpt2'
  return FAMILY_NAMES[name] ?? name
}

export function describeModelSummary(model: ModelSummary): string {
  const m = model.model
  const heads =
    m.numKvHeads !== undefined && m.numKvHeads !== m.numHeads ? `${m.numHeads}/${m.numKvHeads} heads (query/key-value)` : `${m.numHeads} heads`
  return `${modelFamilyName(model)} · ${m.embedDim}d · ${m.numLayers} layer${m.numLayers === 1 ? '' : 's'} · ${heads} · context ${m.seqLen} · ${model.tokenizer === 'bpe' ? 'BPE' : 'Words'} ${m.vocabSize} · ${formatCompact(model.parameters)} parameters`
}
