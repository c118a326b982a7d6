/**
 * `cllm evaluate` and `cllm prepare` on chat data, for GPT-2 and Llama chat runs: with no text, a chat
 * checkpoint is scored on its run's held-out conversations, answers only — the run's own final
 * validation loss; a folder of `.jsonl` is scored the same way (its conversations in the model's
 * template, answers only); `cllm prepare` on a chat folder prepares the dataset `cllm train` reuses.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluate } from '../../../../src/cli/commands/evaluate'
import { prepareCommand } from '../../../../src/cli/commands/prepare'
import { train, type TrainFlags } from '../../../../src/cli/commands/train'
import { chatWorkspace, type ChatWorkspace } from '../../main/engine/chat/chat-fixtures'
import { capture } from './cli-fixtures'

let ws: ChatWorkspace
beforeAll(async () => {
  ws = await chatWorkspace()
})
afterAll(async () => {
  await ws.cleanup()
})

const tiny = (runName: string): TrainFlags => ({
  vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 32, threads: 2, checkpointDir: ws.checkpoints,
  maxSteps: 12, evalInterval: 6, runName,
})

describe.each([
  ['gpt2', { arch: 'gpt2' }],
  ['llama', { arch: 'llama', numKvHeads: 1 }],
] as Array<[string, Partial<TrainFlags>]>)('a %s chat run', (arch, extra) => {
  it('trains on the built-in template; evaluate scores its held-out conversations, answers only, as its validation loss', async () => {
    const finished = await train(ws.data, { ...tiny(`chat-${arch}`), ...extra }, capture())
    expect(finished).toMatchObject({ state: 'done', step: 12 })
    const run = JSON.parse(await readFile(join(ws.checkpoints, `chat-${arch}`, 'run.json'), 'utf8'))
    expect(run.config.model.architecture ?? 'gpt2').toBe(arch)
    expect(run.config.chat.eosToken).toBe('<|endoftext|>')
    const manifest = JSON.parse(await readFile(join(ws.checkpoints, `chat-${arch}`, 'dataset.json'), 'utf8'))
    expect(manifest.chat.counts.packing).toBe('packed')

    const io = capture()
    const held = await evaluate({ checkpoint: finished.checkpoint!, threads: 2 }, io)
    const validation = manifest.chat.counts.validationConversations
    expect(io.stdout()).toContain(`answer tokens of the run's ${validation} held-out conversations`)
    expect(Math.abs(held.loss - finished.valLoss!)).toBeLessThan(1e-5 * finished.valLoss!)
    // The answers' tokens of the held-out conversations, as the manifest's spans count them.
    const answerTargets = manifest.chat.windows
      .filter((w: { split: string }) => w.split === 'validation')
      .reduce((sum: number, w: { spans: Array<[number, number]> }) => sum + w.spans.reduce((s, [a, b]) => s + b - a, 0), 0)
    expect(held.tokens).toBe(answerTargets)

    // A folder of .jsonl is scored as conversations, answers only: fewer tokens than the text has.
    const folder = await evaluate({ checkpoint: finished.checkpoint!, folder: ws.data, threads: 2 }, capture())
    expect(folder.tokens).toBeGreaterThan(held.tokens)
    expect(folder.tokens).toBeLessThan(manifest.chat.counts.answerTokens + 1)
    const asText = await evaluate({ checkpoint: finished.checkpoint!, folder: ws.data, data: 'text', threads: 2 }, capture()).catch((e: Error) => e)
    expect((asText as Error).message).toMatch(/only \.jsonl chat data/)
  })
})

describe('cllm prepare on chat data', () => {
  it('prepares the chat dataset, prints its counts and bad lines, and cllm train reuses it', async () => {
    const io = capture()
    // A checkpoint folder of its own: the prepared dataset is the only one there a run could reuse.
    const checkpointDir = join(ws.root, 'prepare-first')
    const prepared = await prepareCommand(ws.data, { vocabSize: '300', seqLen: '32', checkpointDir, runName: 'prepared-chat' }, (line) => io.out(`${line}\n`))
    expect(prepared.summary.chat).toMatchObject({ conversations: 105, lossOn: 'answers', packing: 'packed' })
    expect(prepared.chatIssues).toEqual([{ file: 'sums.jsonl', line: 4, reason: expect.stringMatching(/not valid JSON/) }])
    const out = io.stdout()
    expect(out).toMatch(/^Chat: 105 conversations \(\d+ training, \d+ validation\); [\d,]+ prompt and [\d,]+ answer tokens, [\d,]+ padding in [\d,]+ packed windows; \d+\.\d% of the tokens carry the loss \(answers only\)$/m)
    expect(out).toContain('Left out: 1 line of the chat data\n  sums.jsonl:4: not valid JSON')
    const trained = capture()
    const finished = await train(ws.data, { ...tiny('after-prepare'), checkpointDir, maxSteps: 2, evalInterval: 2 }, trained)
    expect(finished.state).toBe('done')
    expect(trained.stdout()).toMatch(/from the cache/)
  })

  it('reuses a chat dataset that recorded no split method (as older ones did), so a resumed run keeps its windows', async () => {
    // A checkpoint folder of its own: the only dataset there to reuse is the one made old here.
    const checkpointDir = join(ws.root, 'old-format')
    await prepareCommand(ws.data, { vocabSize: '300', seqLen: '32', checkpointDir, runName: 'prepared' }, () => undefined)
    const file = join(checkpointDir, 'prepared', 'dataset.json')
    const manifest = JSON.parse(await readFile(file, 'utf8'))
    delete manifest.split.method
    await writeFile(file, JSON.stringify(manifest))
    const trained = capture()
    const finished = await train(ws.data, { ...tiny('after-old-prepare'), checkpointDir, maxSteps: 2, evalInterval: 2 }, trained)
    expect(finished.state).toBe('done')
    expect(trained.stdout()).toMatch(/from the cache/)
  })
})
