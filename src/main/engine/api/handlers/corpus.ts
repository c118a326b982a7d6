import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { loadCorpus } from '../../corpus'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkReadable } from './access'

export function createCorpusHandlers(
  context: EngineContext,
): Pick<Handlers, 'corpus.pickFolder' | 'corpus.scan' | 'corpus.cancelScan'> {
  const scans = new Map<string, AbortController>()
  const { options, events } = context
  return {
    'corpus.pickFolder': async () => ({
      folder: options.pickFolder ? await options.pickFolder() : null,
    }),

    'corpus.scan': async ({ folder, maxFileBytes, scanId = randomUUID() }) => {
      const absolute = checkReadable(context, resolve(folder))
      const controller = new AbortController()
      scans.set(scanId, controller)
      try {
        const loaded = await loadCorpus(
          {
            folder: absolute,
            excludeDir: options.checkpointDir,
            ...(maxFileBytes ? { maxFileBytes } : {}),
          },
          {
            signal: controller.signal,
            onProgress: (progress) => events.emit('corpus.progress', { scanId, ...progress }),
          },
          options.corpusFs,
        )
        context.corpus.current = loaded
        return { scanId, ...loaded.summary }
      } finally {
        scans.delete(scanId)
      }
    },

    'corpus.cancelScan': async ({ scanId }) => {
      const controller = scans.get(scanId)
      controller?.abort()
      return { cancelled: controller !== undefined }
    },
  }
}
