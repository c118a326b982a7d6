/**
 * A model trained on chat data leaves with its template: the Hugging Face folder's
 * tokenizer_config.json has `chat_template`, the GGUF has `tokenizer.chat_template`, and
 * llama.cpp (node-llama-cpp: the chat wrapper it resolves from the GGUF, llama.cpp's tokenizer)
 * turns a conversation into exactly the prompt tokens the studio feeds its own model.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  getLlama, JinjaTemplateChatWrapper, LlamaLogLevel, readGgufFileInfo, resolveChatWrapper,
  type ChatHistoryItem, type Llama, type LlamaModel,
} from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportGguf } from '../../../../../src/main/engine/checkpoints/export-gguf'
import { exportHuggingFace } from '../../../../../src/main/engine/checkpoints/export-hf'
import { DEFAULT_CHAT_TEMPLATE } from '../../../../../src/main/engine/chat/template'
import { chatRunnerFor, openCheckpointModel } from '../../../../../src/main/engine/session/from-checkpoint'
import type { ChatMessage } from '../../../../../src/shared/chat'
import { chatWorkspace, tinyChatCheckpoint, type ChatWorkspace } from '../chat/chat-fixtures'

let ws: ChatWorkspace
let checkpoint: string
let llama: Llama
let model: LlamaModel
let gguf: string
beforeAll(async () => {
  ws = await chatWorkspace()
  checkpoint = await tinyChatCheckpoint(ws, 40)
  gguf = join(ws.root, 'chat.gguf')
  await exportGguf(checkpoint, gguf)
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
  model = await llama.loadModel({ modelPath: gguf })
}, 180_000)
afterAll(async () => {
  await model?.dispose()
  await llama?.dispose()
  await ws.cleanup()
})

const conversation: ChatMessage[] = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: 'What colour is the cat?' },
  { role: 'assistant', content: 'The cat is red.' },
  { role: 'user', content: 'And the owl?' },
]

describe('export of a chat model', () => {
  it('writes the template into tokenizer_config.json', async () => {
    const out = join(ws.root, 'hf')
    await exportHuggingFace(checkpoint, out)
    const config = JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8'))
    expect(config.chat_template).toBe(DEFAULT_CHAT_TEMPLATE)
    expect(config.eos_token).toBe('<|endoftext|>')
  })

  it('writes tokenizer.chat_template into the GGUF and an Ollama template beside it', async () => {
    const info = await readGgufFileInfo(gguf, { logWarnings: false })
    expect((info.metadata.tokenizer as { chat_template?: string }).chat_template).toBe(DEFAULT_CHAT_TEMPLATE)
    const modelfile = await readFile(join(ws.root, 'chat.Modelfile'), 'utf8')
    expect(modelfile).toContain('TEMPLATE """{{- range .Messages }}<|{{ .Role }}|>\n{{ .Content }}<|endoftext|>\n{{ end }}<|assistant|>\n"""')
  })

  it('gives llama.cpp the same prompt tokens as the studio for a conversation', async () => {
    const wrapper = resolveChatWrapper(model)
    // No built-in wrapper matches this template: llama.cpp's side renders the GGUF's own Jinja.
    expect(wrapper).toBeInstanceOf(JinjaTemplateChatWrapper)
    const history: ChatHistoryItem[] = [
      { type: 'system', text: conversation[0].content },
      { type: 'user', text: conversation[1].content },
      { type: 'model', response: [conversation[2].content] },
      { type: 'user', text: conversation[3].content },
      { type: 'model', response: [] },
    ]
    const theirs = wrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer)
    const opened = await openCheckpointModel(checkpoint)
    try {
      const ours = chatRunnerFor(opened).encodePrompt(conversation)
      expect(theirs.map(Number)).toEqual(ours)
      expect(opened.tokenizer.decode(ours)).toBe(
        '<|system|>\nAnswer briefly.<|endoftext|>\n<|user|>\nWhat colour is the cat?<|endoftext|>\n<|assistant|>\nThe cat is red.<|endoftext|>\n<|user|>\nAnd the owl?<|endoftext|>\n<|assistant|>\n',
      )
    } finally {
      await opened.close()
    }
  })
})
