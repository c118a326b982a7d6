/**
 * `cllm chat --checkpoint <file>`: talk with a model trained on conversations. Each line read is a
 * user turn; the answer streams to stdout, the model's chat template applied, until its end-of-turn
 * token. The conversation (and the model's key/value cache) carries across turns until the input
 * ends. Reads a terminal or a pipe alike; `/reset` starts a new conversation.
 */
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { Command } from 'commander'
import { chatRunnerFor, openCheckpointModel } from '../../main/engine/session/from-checkpoint'
import type { ChatMessage } from '../../shared/chat'
import { addSamplingOptions, parseSamplingFlags } from './sampling-flags'
import { stdio, type CliIo } from './train'

export interface ChatFlags {
  checkpoint: string
  system?: string
  maxTokens?: number
  temperature?: number
  topK?: number
  topP?: number
  seed?: number
}

export function register(program: Command): void {
  const command = program
    .command('chat')
    .description('Chat with a model trained on conversations (one line per turn; /reset starts over).')
    .requiredOption('--checkpoint <file>', 'checkpoint file of a run on chat data (e.g. final_model.safetensors)')
    .option('--system <text>', 'a system message opening the conversation')
  addSamplingOptions(command, 'tokens per answer at most (default 100)')
    .action(async (flags: ChatFlags) => {
      await chat(flags, process.stdin, stdio, Boolean(process.stdin.isTTY))
    })
}

/** Runs the conversation over `input`'s lines; resolves with the turns once the input ends. */
export async function chat(flags: ChatFlags, input: Readable, io: CliIo, interactive = false): Promise<ChatMessage[]> {
  const { checkpoint, system, ...rest } = flags
  const options = parseSamplingFlags(rest)
  const model = await openCheckpointModel(checkpoint)
  try {
    const runner = chatRunnerFor(model)
    const opening: ChatMessage[] = system ? [{ role: 'system', content: system }] : []
    let messages = [...opening]
    const prompt = (): void => {
      if (interactive) io.out('> ')
    }
    prompt()
    const lines = createInterface({ input, crlfDelay: Infinity, terminal: false })
    let turn = 0
    for await (const line of lines) {
      const text = line.trim()
      if (text === '/reset') {
        messages = [...opening]
        io.out('(new conversation)\n')
      } else if (text !== '') {
        messages.push({ role: 'user', content: text })
        // A different seed each turn, so a sampled answer is not the same draw every time.
        const reply = await runner.reply(messages, { ...options, seed: options.seed + turn++ }, (piece) => io.out(piece))
        io.out('\n')
        messages.push({ role: 'assistant', content: reply.text })
      }
      prompt()
    }
    return messages
  } finally {
    await model.close()
  }
}
