import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { addSamplingOptions, parseSamplingFlags } from '../../../../src/cli/commands/sampling-flags'
import { GenerateOptions } from '../../../../src/shared/training'

const GENERATE_DEFAULTS_FOR_TEST = GenerateOptions.parse({})

describe('sampling flags', () => {
  it('fill every default the contract has, and keep what was given', () => {
    expect(parseSamplingFlags({})).toEqual(GENERATE_DEFAULTS_FOR_TEST)
    expect(parseSamplingFlags({ temperature: 0, seed: 3, topK: undefined })).toMatchObject({ temperature: 0, seed: 3, topK: GENERATE_DEFAULTS_FOR_TEST.topK })
  })

  it('refuse a bad value in the flag’s own spelling', () => {
    expect(() => parseSamplingFlags({ topP: 2 })).toThrow(/^--top-p:/m)
    expect(() => parseSamplingFlags({ maxTokens: Number.NaN })).toThrow(/^--max-tokens:/m)
  })

  it('read an empty value as no number, not as 0', () => {
    const command = addSamplingOptions(new Command().exitOverride())
    command.parse(['--temperature', ' ', '--seed', '7'], { from: 'user' })
    const flags = command.opts<{ temperature: number; seed: number }>()
    expect(flags.seed).toBe(7)
    expect(Number.isNaN(flags.temperature)).toBe(true)
    expect(() => parseSamplingFlags(flags)).toThrow(/^--temperature:/m)
  })
})
