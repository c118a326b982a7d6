import { mkdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { exportGguf, exportHuggingFace, listRuns, verifyCheckpoint } from '../../checkpoints'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkCheckpointPath, checkReadable } from './access'

/** Where exports go when the UI names no folder: beside the runs, never inside one (a run does not change). */
export const EXPORTS_FOLDER = 'exports'

export function createCheckpointHandlers(
  context: EngineContext,
): Pick<Handlers, 'checkpoints.list' | 'checkpoints.verify' | 'checkpoints.export'> {
  return {
    'checkpoints.list': async () => {
      // A first start has no runs yet: an empty folder lists as no runs, not as an error.
      await mkdir(context.options.checkpointDir, { recursive: true })
      return listRuns(context.options.checkpointDir)
    },
    'checkpoints.verify': async ({ path }) => {
      const absolute = checkCheckpointPath(context, path)
      const verdict = await verifyCheckpoint(absolute)
      return { path: absolute, ...verdict }
    },
    'checkpoints.export': async ({ checkpoint, format, precision, outDir }) => {
      const source = checkCheckpointPath(context, checkpoint)
      const parent = outDir === undefined ? join(context.options.checkpointDir, EXPORTS_FOLDER) : checkReadable(context, outDir)
      await mkdir(parent, { recursive: true })
      // "<run>-<checkpoint>", so exports of different runs and steps never replace each other.
      const name = `${basename(dirname(source))}-${basename(source).replace(/\.safetensors$/, '')}`
      if (format === 'hf') {
        const result = await exportHuggingFace(source, join(parent, `${name}-hf`))
        return { outDir: result.outDir, files: result.files }
      }
      const folder = join(parent, `${name}-gguf-${precision}`)
      await mkdir(folder, { recursive: true })
      const result = await exportGguf(source, join(folder, `${name}-${precision}.gguf`), { precision, name })
      return {
        outDir: folder,
        files: [
          { name: basename(result.path), path: result.path, bytes: result.bytes },
          { name: basename(result.modelfile), path: result.modelfile, bytes: (await stat(result.modelfile)).size },
        ],
      }
    },
  }
}
