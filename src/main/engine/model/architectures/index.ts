/** The model families the engine builds, by name; a config without `architecture` is GPT-2. */
import type { ParamLayout } from '../layout'
import type { ArchitectureName, ModelConfig } from '../trainer'
import type { Architecture } from './architecture'
import { gpt2 } from './gpt2'
import { llama } from './llama'

export type { Architecture, ModelShard, ShardArea } from './architecture'

const ARCHITECTURES: Record<ArchitectureName, Architecture> = { gpt2, llama }

export function architectureNamed(name: ArchitectureName | undefined): Architecture {
  const found = ARCHITECTURES[name ?? 'gpt2'] as Architecture | undefined
  if (!found) throw new Error(`unknown architecture ${String(name)}`)
  return found
}

export function architectureOf(config: ModelConfig): Architecture {
  return architectureNamed(config.architecture)
}

/** The parameter tensors of a config, laid out contiguously, under its family's Hugging Face names. */
export function createParamLayout(config: ModelConfig): ParamLayout {
  return architectureOf(config).layout(config)
}

/** Trainable parameters of a config, without building the layout. */
export function countParams(config: ModelConfig): number {
  return architectureOf(config).countParams(config)
}
