import { stat } from 'node:fs/promises'
import { countParameters } from '../../../../shared/training'
import { loadInitialModel } from '../../session/init-from'
import { fromModelConfig } from '../../session/config'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkModelSource } from './access'

/**
 * Start from a model: the model the user chose, read exactly as a fine-tuning run reads it (the
 * same access rule, the same import and its refusals), so that a folder that cannot be used is
 * said when it is chosen. Nothing is kept: the run reads it again when it starts.
 */
export function createModelHandlers(context: EngineContext): Pick<Handlers, 'models.inspect'> {
  return {
    'models.inspect': async ({ path }) => {
      const absolute = checkModelSource(context, path)
      const initial = await loadInitialModel(absolute)
      const isFolder = (await stat(absolute)).isDirectory()
      const model = fromModelConfig(initial.model)
      return {
        path: initial.source,
        kind: isFolder ? ('huggingface' as const) : ('checkpoint' as const),
        model,
        ...(initial.family ? { family: initial.family } : {}),
        tokenizer: initial.tokenizerKind,
        parameters: countParameters(model),
      }
    },
  }
}
