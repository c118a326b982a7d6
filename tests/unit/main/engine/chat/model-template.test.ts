/**
 * A model whose tokenizer_config.json has a chat_template uses it: importing the Hugging Face folder
 * reads it (string or named list, bos/eos as strings or objects), a run started from that folder on
 * chat data renders with it and records it, and the checkpoint exports it again.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportHuggingFace } from '../../../../../src/main/engine/checkpoints'
import { importHuggingFace } from '../../../../../src/main/engine/checkpoints/import-hf'
import { chatTemplateFor, DEFAULT_TEMPLATE_SOURCE, readHfChatTemplate } from '../../../../../src/main/engine/chat/model-template'
import { createSession } from '../../../../../src/main/engine/session'
import { chatWorkspace, tinyChatCheckpoint, type ChatWorkspace } from './chat-fixtures'
import { SMOLLM2_INSTRUCT } from './published-templates'

let ws: ChatWorkspace
let hf: string
beforeAll(async () => {
  ws = await chatWorkspace()
  // A model trained here, exported, and given SmolLM2-Instruct's template as a Hugging Face folder has it.
  const checkpoint = await tinyChatCheckpoint(ws, 5, 'source', 160)
  hf = join(ws.root, 'hf')
  await exportHuggingFace(checkpoint, hf)
  const config = JSON.parse(await readFile(join(hf, 'tokenizer_config.json'), 'utf8'))
  await writeFile(join(hf, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: SMOLLM2_INSTRUCT, eos_token: { content: '<|endoftext|>' } }))
}, 120_000)
afterAll(async () => {
  await ws.cleanup()
})

describe('a model with its own chat template', () => {
  it('is read from tokenizer_config.json on import', async () => {
    const model = await importHuggingFace(hf)
    expect(model.chat).toEqual({ template: SMOLLM2_INSTRUCT, bosToken: '<|endoftext|>', eosToken: '<|endoftext|>' })
    expect(chatTemplateFor(undefined, model)).toBe(model.chat)
    expect(chatTemplateFor(undefined, { ...model, chat: undefined })).toBe(DEFAULT_TEMPLATE_SOURCE)
  })

  it('reads a named list of templates and ignores a folder without one', async () => {
    const dir = join(ws.root, 'named')
    await (await import('node:fs/promises')).mkdir(dir)
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: [{ name: 'tool_use', template: 'x' }, { name: 'default', template: 'y' }], bos_token: '<s>', eos_token: '</s>' }))
    expect(await readHfChatTemplate(dir)).toEqual({ template: 'y', bosToken: '<s>', eosToken: '</s>' })
    expect(await readHfChatTemplate(join(ws.root, 'nowhere'))).toBeUndefined()
  })

  it('renders a run on chat data started from it, is recorded, and exports again', async () => {
    const session = await createSession({
      folder: ws.data,
      sample: false,
      initFrom: hf,
      config: { training: { threads: 2, batchSize: 4, maxSteps: 3, evalInterval: 3 }, paths: { checkpointDir: ws.checkpoints, runName: 'from-hf' } },
    })
    const finished = await session.run()
    expect(finished.message ?? '').toBe('')
    expect(finished.state).toBe('done')
    const run = JSON.parse(await readFile(join(ws.checkpoints, 'from-hf', 'run.json'), 'utf8'))
    expect(run.config.chat.template).toBe(SMOLLM2_INSTRUCT)
    const manifest = JSON.parse(await readFile(join(ws.checkpoints, 'from-hf', 'dataset.json'), 'utf8'))
    expect(manifest.chat.template).toBe(SMOLLM2_INSTRUCT)
    expect(manifest.chat.counts.withoutAnswer).toBe(0)
    const out = join(ws.root, 'again')
    await exportHuggingFace(finished.checkpoint!, out)
    expect(JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8')).chat_template).toBe(SMOLLM2_INSTRUCT)
  })
})
