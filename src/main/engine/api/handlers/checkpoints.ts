import { mkdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { exportGguf, exportHuggingFace, listRuns, verifyCheckpoint } from '../../checkpoints'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkCheckpointPath, checkpointRoot, checkReadable } from './access'
import { ContainedRoot } from '../../containment'

/** Where exports go when the UI names no folder: beside the runs, never inside one (a run does not change). */
export const EXPORTS_FOLDER = 'exports'

/** A folder below a contained root where export folders are made (each one under the rule). */
class ContainedRootPath {
  constructor(
    readonly root: ContainedRoot,
    readonly relative: string,
  ) {}

  folder(name: string): string {
    return this.root.folder(join(this.relative, name), { create: true })
  }
}

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
      // `exports` is a real folder in the checkpoint folder; a folder the user picked is opened as a
      // root. Either way the export's own folder inside is made or must be a real folder, not a link.
      const parent =
        outDir === undefined
          ? new ContainedRootPath(checkpointRoot(context), EXPORTS_FOLDER)
          : new ContainedRootPath(ContainedRoot.open(checkReadable(context, outDir), 'The export folder', { create: true }), '')
      // "<run>-<checkpoint>", so exports of different runs and steps never replace each other.
      const name = `${basename(dirname(source))}-${basename(source).replace(/\.safetensors$/, '')}`
      if (format === 'hf') {
        const result = await exportHuggingFace(source, parent.folder(`${name}-hf`))
        return { outDir: result.outDir, files: result.files, architecture: result.architecture }
      }
      const folder = parent.folder(`${name}-gguf-${precision}`)
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
