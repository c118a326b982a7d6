/**
 * The sampling flags `cllm generate` and `cllm chat` share (`--max-tokens`, `--temperature`,
 * `--top-k`, `--top-p`, `--seed`): registered once, checked by the contract's own schema, and
 * refused in the flags' own spelling.
 */
import type { Command } from 'commander'
import { UserError } from '../../shared/errors'
import { describeConfigIssues, GenerateOptions } from '../../shared/training'

const FLAG_NAMES: Record<string, string> = {
  prompt: '--prompt',
  maxTokens: '--max-tokens',
  temperature: '--temperature',
  topK: '--top-k',
  topP: '--top-p',
  seed: '--seed',
}

/** A number flag; an empty value is NaN, so the schema names the flag instead of reading 0. */
const number = (value: string): number => (value.trim() === '' ? Number.NaN : Number(value))

export function addSamplingOptions(command: Command, maxTokens = 'tokens to generate at most (default 100)'): Command {
  return command
    .option('--max-tokens <n>', maxTokens, number)
    .option('--temperature <x>', 'sampling temperature, 0 for greedy (default 0.8)', number)
    .option('--top-k <n>', 'sample among the k most likely tokens, 0 for all (default 0)', number)
    .option('--top-p <x>', 'sample within the smallest set of probability p, 1 for all (default 1)', number)
    .option('--seed <n>', 'seed of the sampling (default 42)', number)
}

/** The generation options the flags give, every default filled in; a bad value names its flag. */
export function parseSamplingFlags(flags: Record<string, unknown>): GenerateOptions {
  const given = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined))
  const parsed = GenerateOptions.safeParse(given)
  if (!parsed.success) {
    const message = describeConfigIssues(parsed.error).replace(/^(\w+):/gm, (_, field: string) => `${FLAG_NAMES[field] ?? field}:`)
    throw new UserError('invalid-config', message)
  }
  return parsed.data
}
