import { UserError } from '../../../../shared/errors'
import { GenerateOptions } from '../../../../shared/training'
import type { ChatRunner } from '../../chat/runner'
import {
  chatRunnerFor,
  generateFromCheckpoint,
  openCheckpointModel,
  type OpenModel,
} from '../../session/from-checkpoint'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkCheckpointPath } from './access'

type GenerateHandlers = Pick<Handlers, 'generate.run' | 'generate.cancel' | 'chat.reply'>

/**
 * Text generation from a checkpoint, streamed as `generate.text` events. The last opened model
 * stays loaded, so asking the same checkpoint again starts at once.
 */
export function createGenerateHandlers(context: EngineContext): {
  handlers: GenerateHandlers
  shutdown(): Promise<void>
} {
  let model: OpenModel | undefined
  /** The open model's chat, kept with it so its key/value cache carries from turn to turn. */
  let runner: ChatRunner | undefined
  const requests = new Map<string, AbortController>()

  async function open(path: string): Promise<OpenModel> {
    if (model?.path === path) return model
    await model?.close()
    model = undefined
    runner = undefined
    model = await openCheckpointModel(path)
    return model
  }

  const handlers: GenerateHandlers = {
    'generate.run': async ({ checkpoint, requestId, ...options }) => {
      if (requests.size > 0) throw new UserError('busy', 'Text is already being generated.')
      const controller = new AbortController()
      requests.set(requestId, controller)
      try {
        const opened = await open(checkCheckpointPath(context, checkpoint))
        const result = await generateFromCheckpoint(
          opened,
          options,
          (text) => context.events.emit('generate.text', { requestId, text }),
          controller.signal,
        )
        return { text: result.text, tokens: result.tokens.length }
      } finally {
        requests.delete(requestId)
      }
    },
    'chat.reply': async ({ checkpoint, requestId, messages, ...options }) => {
      if (requests.size > 0) throw new UserError('busy', 'Text is already being generated.')
      const controller = new AbortController()
      requests.set(requestId, controller)
      try {
        const opened = await open(checkCheckpointPath(context, checkpoint))
        runner ??= chatRunnerFor(opened)
        const reply = await runner.reply(
          messages,
          GenerateOptions.parse(options),
          (text) => context.events.emit('generate.text', { requestId, text }),
          controller.signal,
        )
        return {
          text: reply.text,
          tokens: reply.tokens.length,
          stoppedAtEndOfTurn: reply.stoppedAtEndOfTurn,
          promptTokens: reply.promptTokens,
          computedPositions: reply.computedPositions,
        }
      } finally {
        requests.delete(requestId)
      }
    },
    'generate.cancel': async ({ requestId }) => {
      const controller = requests.get(requestId)
      controller?.abort()
      return { cancelled: controller !== undefined }
    },
  }

  return {
    handlers,
    shutdown: async () => {
      for (const controller of requests.values()) controller.abort()
      await model?.close()
      model = undefined
    },
  }
}
