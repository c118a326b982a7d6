/**
 * Llama-family chat training. A Llama run from scratch trains on chat data with the built-in template;
 * a Llama model that comes with its own template (SmolLM2-Instruct's or Qwen2.5-Instruct's, recorded
 * with it as an imported model records it) fine-tunes on chat data rendered with that template,
 * packed, records it, and answers with it.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCheckpoint, saveCheckpoint } from '../../../../../src/main/engine/checkpoints'
import { readCachedDataset } from '../../../../../src/main/engine/dataset/cache'
import { createSession } from '../../../../../src/main/engine/session'
import { chatRunnerFor, openCheckpointModel } from '../../../../../src/main/engine/session/from-checkpoint'
import { parseTokenizer } from '../../../../../src/main/engine/tokenizer'
import { GenerateOptions } from '../../../../../src/shared/training'
import { chatWorkspace, type ChatWorkspace } from './chat-fixtures'
import { QWEN25_INSTRUCT, SMOLLM2_INSTRUCT } from './published-templates'

let ws: ChatWorkspace
let scratch: string
beforeAll(async () => {
  ws = await chatWorkspace()
  const session = await createSession({
    folder: ws.data,
    sample: false,
    config: {
      model: { architecture: 'llama', vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, numKvHeads: 1, seqLen: 192 },
      training: { threads: 2, batchSize: 4, maxSteps: 6, evalInterval: 3, checkpointInterval: 0 },
      paths: { checkpointDir: ws.checkpoints, runName: 'llama-scratch' },
    },
  })
  const finished = await session.run()
  if (finished.state !== 'done' || !finished.checkpoint) throw new Error(`llama chat run failed: ${finished.message}`)
  scratch = finished.checkpoint
}, 120_000)
afterAll(async () => {
  await ws.cleanup()
})

describe('Llama chat training', () => {
  it('trains from scratch on chat data with the built-in template, packed', async () => {
    const run = JSON.parse(await readFile(join(ws.checkpoints, 'llama-scratch', 'run.json'), 'utf8'))
    expect(run.config.model.architecture).toBe('llama')
    expect(run.config.chat.template).toContain("'<|' + message['role'] + '|>\\n'")
    const cached = (await readCachedDataset(join(ws.checkpoints, 'llama-scratch'), () => true))!
    expect(cached.manifest.chat!.counts.packing).toBe('packed')
  })

  it.each([
    ['SmolLM2-Instruct', SMOLLM2_INSTRUCT, '<|im_start|>'],
    ['Qwen2.5-Instruct', QWEN25_INSTRUCT, ''],
  ])('fine-tunes a Llama model that has the %s template with that template, and chats with it', async (name, template, bosToken) => {
    // The model as an imported Llama-family folder brings it: the template recorded in its config.
    const { metadata, state } = await loadCheckpoint(scratch)
    const source = join(ws.root, `${name}.safetensors`)
    const chat = { template, bosToken, eosToken: '<|im_end|>' }
    await saveCheckpoint(source, { metadata: { ...metadata, config: { ...metadata.config, chat } }, state })

    const runName = `llama-${name}`
    const session = await createSession({
      folder: ws.data,
      sample: false,
      initFrom: source,
      config: { training: { threads: 2, batchSize: 4, maxSteps: 3, evalInterval: 3, checkpointInterval: 0 }, paths: { checkpointDir: ws.checkpoints, runName } },
    })
    const finished = await session.run()
    expect(finished.message ?? '').toBe('')
    expect(finished.state).toBe('done')
    const run = JSON.parse(await readFile(join(ws.checkpoints, runName, 'run.json'), 'utf8'))
    expect(run.config.model.architecture).toBe('llama')
    expect(run.config.chat).toEqual(chat)
    // The conversations were rendered with the model's template: its turn markers are in the tokens.
    const cached = (await readCachedDataset(join(ws.checkpoints, runName), () => true))!
    expect(cached.manifest.chat!.template).toBe(template)
    const tokenizer = parseTokenizer(metadata.tokenizer, source)
    const first = cached.manifest.chat!.windows[0]
    const text = tokenizer.decode(Array.from(cached.tokens.subarray(first.start!, first.start! + first.length)))
    expect(text).toContain('<|im_start|>user\n')
    expect(text).toContain('<|im_end|>')
    // Qwen2.5's template adds its default system prompt; SmolLM2's its own.
    expect(text).toContain(name.startsWith('Qwen') ? 'You are Qwen, created by Alibaba Cloud' : 'You are a helpful AI assistant named SmolLM')

    const model = await openCheckpointModel(finished.checkpoint!, { threads: 1 })
    try {
      expect(model.chat).toEqual(chat)
      const reply = await chatRunnerFor(model).reply([{ role: 'user', content: 'What colour is the cat?' }], GenerateOptions.parse({ prompt: '', maxTokens: 4, temperature: 0, seed: 1 }))
      expect(typeof reply.text).toBe('string')
    } finally {
      await model.close()
    }
  })
})
