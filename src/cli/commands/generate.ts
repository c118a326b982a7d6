/**
 * `cllm generate --checkpoint <file>`: continue a prompt with a trained model, streaming the text
 * to stdout as it is produced. `--temperature 0` is greedy (the same text every time); otherwise
 * tokens are drawn with top-k / top-p from a generator seeded by `--seed`.
 */
import type { Command } from 'commander'
import { generateFromCheckpoint, openCheckpointModel } from '../../main/engine/session/from-checkpoint'
import { UserError } from '../../shared/errors'
import { describeConfigIssues, GenerateOptions } from '../../shared/training'
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

const FLAGS: Record<string, string> = {
  prompt: '--prompt',
  maxTokens: '--max-tokens',
  temperature: '--temperature',
  topK: '--top-k',
  topP: '--top-p',
  seed: '--seed',
}

const number = (value: string): number => (value.trim() === '' ? Number.NaN : Number(value))

export function register(program: Command): void {
  program
    .command('generate')
    .description('Generate text with a trained model.')
    .requiredOption('--checkpoint <file>', 'checkpoint file (e.g. final_model.safetensors)')
    .option('--prompt <text>', 'text to continue (default: start a new document)')
    .option('--max-tokens <n>', 'tokens to generate at most (default 100)', number)
    .option('--temperature <x>', 'sampling temperature, 0 for greedy (default 0.8)', number)
    .option('--top-k <n>', 'sample among the k most likely tokens, 0 for all (default 0)', number)
    .option('--top-p <x>', 'sample within the smallest set of probability p, 1 for all (default 1)', number)
    .option('--seed <n>', 'seed of the sampling (default 42)', number)
    .option('--json', 'print {"prompt", "text", "tokens"} at the end instead of streaming')
    .action(async (flags: GenerateFlags) => {
      await generate(flags, stdio)
    })
}

export async function generate(flags: GenerateFlags, io: CliIo): Promise<{ text: string; tokens: number }> {
  const { checkpoint, json, ...rest } = flags
  const parsed = GenerateOptions.safeParse(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)))
  if (!parsed.success) {
    const message = describeConfigIssues(parsed.error).replace(/^(\w+):/gm, (_, field: string) => `${FLAGS[field] ?? field}:`)
    throw new UserError('invalid-config', message)
  }
  const options = parsed.data
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
