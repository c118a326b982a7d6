/**
 * `cllm generate --checkpoint <file>`: continue a prompt with a trained model, streaming the text
 * to stdout as it is produced. `--temperature 0` is greedy (the same text every time); otherwise
 * tokens are drawn with top-k / top-p from a generator seeded by `--seed`.
 */
import type { Command } from 'commander'
import { generateFromCheckpoint, openCheckpointModel } from '../../main/engine/session/from-checkpoint'
import { addSamplingOptions, parseSamplingFlags } from './sampling-flags'
import { stdio, type CliIo } from './train'

export interface GenerateFlags {
  checkpoint: string
  prompt?: string
  maxTokens?: number
  temperature?: number
  topK?: number
  topP?: number
  seed?: number
  json?: boolean
}

export function register(program: Command): void {
  const command = program
    .command('generate')
    .description('Generate text with a trained model.')
    .requiredOption('--checkpoint <file>', 'checkpoint file (e.g. final_model.safetensors)')
    .option('--prompt <text>', 'text to continue (default: start a new document)')
  addSamplingOptions(command)
    .option('--json', 'print {"prompt", "text", "tokens"} at the end instead of streaming')
    .action(async (flags: GenerateFlags) => {
      await generate(flags, stdio)
    })
}

export async function generate(flags: GenerateFlags, io: CliIo): Promise<{ text: string; tokens: number }> {
  const { checkpoint, json, ...rest } = flags
  const options = parseSamplingFlags(rest)
  const model = await openCheckpointModel(checkpoint)
  try {
    if (!json) io.out(options.prompt)
    const result = await generateFromCheckpoint(model, options, json ? undefined : (text) => io.out(text))
    if (json) io.out(`${JSON.stringify({ prompt: options.prompt, text: result.text, tokens: result.tokens.length })}\n`)
    else io.out('\n')
    return { text: result.text, tokens: result.tokens.length }
  } finally {
    await model.close()
  }
}
