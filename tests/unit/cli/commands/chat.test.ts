import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chat } from '../../../../src/cli/commands/chat'
import { chatRunnerFor, openCheckpointModel } from '../../../../src/main/engine/session/from-checkpoint'
import { GenerateOptions } from '../../../../src/shared/training'
import { chatWorkspace, tinyChatCheckpoint, type ChatWorkspace } from '../../main/engine/chat/chat-fixtures'
import { workspace, type Workspace } from '../../main/engine/session/fixtures'
import { capture, tinyCheckpoint } from './cli-fixtures'

let ws: ChatWorkspace
let checkpoint: string
beforeAll(async () => {
  ws = await chatWorkspace()
  checkpoint = await tinyChatCheckpoint(ws)
}, 120_000)
afterAll(async () => {
  await ws.cleanup()
})

const greedy = GenerateOptions.parse({ temperature: 0, maxTokens: 24 })

describe('chat with a model trained on conversations', () => {
  it('answers turn after turn with the template applied, stops at the end of turn, and keeps the cache across turns', async () => {
    const model = await openCheckpointModel(checkpoint)
    const fresh = await openCheckpointModel(checkpoint)
    try {
      const runner = chatRunnerFor(model)
      const first = await runner.reply([{ role: 'user', content: 'What colour is the cat?' }], greedy)
      expect(first.stoppedAtEndOfTurn).toBe(true)
      expect(first.text).toMatch(/^The cat is \w+\.$/)
      const messages = [
        { role: 'user' as const, content: 'What colour is the cat?' },
        { role: 'assistant' as const, content: first.text },
        { role: 'user' as const, content: 'What colour is the owl?' },
      ]
      const second = await runner.reply(messages, greedy)
      // Only the new turn's tokens and the answer were computed: the earlier turns came from the cache.
      expect(second.computedPositions).toBeLessThan(second.promptTokens)
      expect(second.computedPositions).toBeGreaterThan(0)
      // The cache changes nothing: a model that never saw the first turn answers the same.
      const uncached = await chatRunnerFor(fresh).reply(messages, greedy)
      expect(uncached.tokens).toEqual(second.tokens)
      expect(uncached.computedPositions).toBeGreaterThan(second.computedPositions)
    } finally {
      await model.close()
      await fresh.close()
    }
  })

  it('cllm chat reads turns from a pipe and prints one answer per line', async () => {
    const input = new PassThrough()
    const io = capture()
    const done = chat({ checkpoint, temperature: 0, maxTokens: 24 }, input, io)
    input.end('What colour is the dog?\n\n/reset\nAdd the numbers.\n\n2 + 3\n')
    const messages = await done
    const lines = io.stdout().split('\n')
    expect(lines[0]).toMatch(/^The dog is \w+\.$/)
    expect(lines[1]).toBe('(new conversation)')
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant'])
    expect(messages[0].content).toBe('Add the numbers.')
  })
})

describe('cllm chat refusals', () => {
  let text: Workspace
  afterAll(async () => {
    await text?.cleanup()
  })
  it('refuses a model trained on plain text, in one sentence', async () => {
    text = await workspace(3, 200)
    const plain = await tinyCheckpoint(text.corpus, text.checkpoints, 5)
    const error = await chat({ checkpoint: plain }, new PassThrough(), capture()).catch((e: Error) => e)
    expect((error as Error).message).toMatch(/has no chat template: it was trained on plain text, not on conversations\. Use generate/)
  }, 60_000)
})
