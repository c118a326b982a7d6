import { stat } from 'node:fs/promises'
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
 * Which file a path names now. A run deleted and a new one trained under the same name puts a
 * different checkpoint at the same path; the loaded model is reused only while this is unchanged.
 */
async function fileIdentity(path: string): Promise<string> {
  const s = await stat(path, { bigint: true })
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`
}

/**
 * Text generation from a checkpoint, streamed as `generate.text` events. The last opened model
 * stays loaded, so asking the same checkpoint again starts at once.
 */
export function createGenerateHandlers(context: EngineContext): {
  handlers: GenerateHandlers
  shutdown(): Promise<void>
} {
  let model: OpenModel | undefined
  /** The file the open model was read from (see fileIdentity). */
  let modelIdentity: string | undefined
  /** The open model's chat, kept with it so its key/value cache carries from turn to turn. */
  let runner: ChatRunner | undefined
  const requests = new Map<string, AbortController>()

  async function open(path: string): Promise<OpenModel> {
    const identity = await fileIdentity(path).catch(() => undefined)
    if (model?.path === path && identity !== undefined && identity === modelIdentity) return model
    await model?.close()
    model = undefined
    runner = undefined
    model = await openCheckpointModel(path)
    modelIdentity = identity
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
