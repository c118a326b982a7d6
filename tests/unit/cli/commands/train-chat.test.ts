import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { train } from '../../../../src/cli/commands/train'
import { chatWorkspace, type ChatWorkspace } from '../../main/engine/chat/chat-fixtures'
import { capture } from './cli-fixtures'

let ws: ChatWorkspace
beforeAll(async () => {
  ws = await chatWorkspace()
})
afterAll(async () => {
  await ws.cleanup()
})

const tiny = () => ({
  vocabSize: 300,
  embedDim: 32,
  numLayers: 1,
  numHeads: 2,
  seqLen: 32,
  threads: 2,
  checkpointDir: ws.checkpoints,
})

describe('cllm train on chat data', () => {
  it('shows the prompt and answer tokens and the loss share before training, says the bad line, and records the template', async () => {
    const io = capture()
    const finished = await train(ws.data, { ...tiny(), maxSteps: 20, evalInterval: 10, runName: 'chat' }, io)
    expect(finished).toMatchObject({ state: 'done', reason: 'completed', step: 20 })
    const out = io.stdout()
    const chatLine = out.split('\n').find((line) => line.startsWith('Chat data   ')) ?? ''
    expect(chatLine).toMatch(/^Chat data {3}105 conversations \(\d+ training, \d+ validation\); [\d,]+ prompt and [\d,]+ answer tokens, [\d,]+ padding in [\d,]+ packed windows; \d+\.\d% of the tokens carry the loss \(answers only\)$/)
    // At each evaluation the model answers held-out prompts, shown beside the expected answers.
    for (const step of [10, 20]) expect(out).toContain(`Sample answers at step ${step}:`)
    expect(out).toMatch(/^ {2}.+ → .* \(expected: .+\)$/m)
    expect(io.stderr()).toMatch(/Warning: 1 line\(s\) of the chat data were left out: sums\.jsonl:4: not valid JSON/)
    const manifest = JSON.parse(await readFile(join(ws.checkpoints, 'chat', 'dataset.json'), 'utf8'))
    expect(manifest.chat.counts.conversations).toBe(105)
    const run = JSON.parse(await readFile(join(ws.checkpoints, 'chat', 'run.json'), 'utf8'))
    expect(run.config.chat.template).toContain("'<|' + message['role'] + '|>\\n'")
    expect(run.config.chat.eosToken).toBe('<|endoftext|>')
  })

  it('resumes a chat run: the same conversation windows, mask and template, to the new total', async () => {
    const io = capture()
    const resumed = await train(ws.data, { ...tiny(), maxSteps: 30, evalInterval: 10, resume: join(ws.checkpoints, 'chat', 'final_model.safetensors'), runName: 'chat-more' }, io)
    expect(resumed).toMatchObject({ state: 'done', reason: 'completed', step: 30 })
    expect(io.stdout()).toContain('Sample answers at step 30:')
    const run = JSON.parse(await readFile(join(ws.checkpoints, 'chat-more', 'run.json'), 'utf8'))
    expect(run.config.chat.eosToken).toBe('<|endoftext|>')
    const parent = JSON.parse(await readFile(join(ws.checkpoints, 'chat', 'dataset.json'), 'utf8'))
    const child = JSON.parse(await readFile(join(ws.checkpoints, 'chat-more', 'dataset.json'), 'utf8'))
    expect(child.chat.windows).toEqual(parent.chat.windows)
  })

  it('refuses a window too short to hold any answer, naming --seq-len', async () => {
    const error = await train(ws.data, { ...tiny(), seqLen: 4, maxSteps: 2, runName: 'short' }, capture()).catch((e: Error) => e)
    expect((error as Error).message).toBe('No conversation has an answer within a window of --seq-len 4 + 1 tokens: raise --seq-len.')
  })
})
