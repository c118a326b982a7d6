/** Each architecture's Hugging Face and GGUF naming, by the architecture a config names. */
import type { ArchitectureName, ModelConfig } from '../../model/trainer'
import { gpt2Export } from './gpt2'
import { llamaExport } from './llama'
import type { ArchitectureExport } from './types'

export type { ArchitectureExport, SpecialIds } from './types'

const EXPORTS: Record<ArchitectureName, ArchitectureExport> = { gpt2: gpt2Export, llama: llamaExport }

/** The export naming of a config's architecture (GPT-2 when it names none). */
export function exportFormatOf(model: ModelConfig): ArchitectureExport {
  return EXPORTS[model.architecture ?? 'gpt2']
}
