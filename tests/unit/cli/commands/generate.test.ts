import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generate } from '../../../../src/cli/commands/generate'
import { UserError } from '../../../../src/shared/errors'
import { workspace, type Workspace } from '../../main/engine/session/fixtures'
import { capture, tinyCheckpoint } from './cli-fixtures'

let ws: Workspace
let checkpoint: string
beforeAll(async () => {
  ws = await workspace(3, 200)
  checkpoint = await tinyCheckpoint(ws.corpus, ws.checkpoints)
})
afterAll(async () => {
  await ws.cleanup()
})

describe('cllm generate', () => {
  it('streams the prompt and its continuation; greedy (temperature 0) repeats itself', async () => {
    const a = capture()
    const first = await generate({ checkpoint, prompt: 'The cat', temperature: 0, maxTokens: 12 }, a)
    const b = capture()
    const second = await generate({ checkpoint, prompt: 'The cat', temperature: 0, maxTokens: 12, seed: 999 }, b)
    expect(a.stdout()).toBe(`The cat${first.text}\n`)
    expect(first.tokens).toBeGreaterThan(0)
    expect(first.text).toMatch(/^ \S/)
    expect(second.text).toBe(first.text)
  })

  it('samples with a seed: the same seed gives the same text', async () => {
    const run = async (seed: number) =>
      (await generate({ checkpoint, prompt: 'The dog', temperature: 1.5, maxTokens: 30, seed }, capture())).text
    const one = await run(1)
    expect(await run(1)).toBe(one)
    const others = await Promise.all([2, 3, 4].map((seed) => run(seed)))
    expect(others.some((text) => text !== one)).toBe(true)
  })

  it('prints {"prompt", "text", "tokens"} with --json', async () => {
    const io = capture()
    await generate({ checkpoint, prompt: 'Birds', maxTokens: 5, topK: 5, topP: 0.9, json: true }, io)
    const result = JSON.parse(io.stdout())
    expect(Object.keys(result)).toEqual(['prompt', 'text', 'tokens'])
    expect(result.prompt).toBe('Birds')
    expect(result.tokens).toBeLessThanOrEqual(5)
  })

  it('refuses bad options naming the flag, and a missing checkpoint', async () => {
    const error = await generate({ checkpoint, topP: 0 }, capture()).catch((e: Error) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toMatch(/^--top-p: /)
    const missing = await generate({ checkpoint: `${checkpoint}.nope` }, capture()).catch((e: Error) => e)
    expect(missing).toBeInstanceOf(UserError)
  })
})
