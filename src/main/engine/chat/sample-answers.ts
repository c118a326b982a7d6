/**
 * "Sample answers": at each evaluation of a run on chat data, the model answers a few held-out
 * prompts (greedy), so the user sees it learn to answer. The prompts are the validation
 * conversations up to their last answer, which is what the model's answer is shown beside.
 */
import type { ChatMessage } from '../../../shared/chat'
import { GenerateOptions, type SampleAnswers } from '../../../shared/training'
import type { DatasetManifest } from '../dataset/cache'
import type { Trainer } from '../model/trainer'
import type { Tokenizer } from '../tokenizer'
import { parseChatFile } from './records'
import { ChatRunner } from './runner'
import type { ChatTemplate } from './template'

/** Held-out prompts shown at each evaluation. */
export const SAMPLE_PROMPTS = 3

export interface HeldOutPrompt {
  messages: ChatMessage[]
  expected: string
}

/** The first validation conversations of a chat dataset, cut before their last answer. */
export function heldOutPrompts(
  documents: ReadonlyArray<{ path: string; text: string }>,
  manifest: DatasetManifest,
  count = SAMPLE_PROMPTS,
): HeldOutPrompt[] {
  const wanted = (manifest.chat?.windows ?? []).filter((w) => w.split === 'validation').slice(0, count)
  const prompts: HeldOutPrompt[] = []
  for (const window of wanted) {
    const document = documents.find((d) => d.path === window.file)
    const conversation = document && parseChatFile(document.path, document.text).conversations.find((c) => c.line === window.line)
    if (!conversation) continue
    const last = conversation.messages.map((m) => m.role).lastIndexOf('assistant')
    prompts.push({ messages: conversation.messages.slice(0, last), expected: conversation.messages[last].content })
  }
  return prompts
}

export function sampleAnswersFor(
  trainer: Pick<Trainer, 'logits'>,
  tokenizer: Tokenizer,
  template: ChatTemplate,
  seqLen: number,
  prompts: readonly HeldOutPrompt[],
): () => Promise<SampleAnswers['samples']> {
  const options = GenerateOptions.parse({ temperature: 0, maxTokens: Math.max(8, Math.min(64, Math.floor(seqLen / 2))) })
  return async () => {
    // A new runner each time: the weights changed since the last evaluation, so nothing is cached.
    const runner = new ChatRunner(trainer, tokenizer, template, seqLen)
    const samples: SampleAnswers['samples'] = []
    for (const prompt of prompts) {
      const reply = await runner.reply(prompt.messages, options)
      const lastUser = [...prompt.messages].reverse().find((m) => m.role === 'user')
      samples.push({ prompt: lastUser?.content ?? '', expected: prompt.expected, answer: reply.text })
    }
    return samples
  }
}
