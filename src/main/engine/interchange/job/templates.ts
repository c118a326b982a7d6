/**
 * Where the job's template files are (`resources/job/` of the repository: `train.py`, its
 * `safetensors_io.py`, `requirements.txt`, the job `README.md`). They are files of the repository,
 * tested on their own (tests/python/), and copied into every job as they are. In the packaged app
 * electron-builder puts them beside the asar (`extraResources` → `<resources>/job`,
 * src/main/app-paths.ts); from the sources and the CLI bundle they are found by walking up.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { UserError } from '../../../../shared/errors'

/** The files copied verbatim into a job (README.md is filled in, see write-job.ts). */
export const TEMPLATE_FILES = ['train.py', 'safetensors_io.py', 'requirements.txt'] as const
export const README_TEMPLATE = 'README.md'

function holdsTemplates(dir: string): boolean {
  return existsSync(join(dir, 'train.py')) && existsSync(join(dir, README_TEMPLATE))
}

/**
 * The template folder: the one given, else `<resources>/job` of a packaged app (Electron sets
 * `process.resourcesPath`), else `resources/job` of the repository this module runs from.
 */
export function findJobTemplates(
  given?: string,
  start = dirname(fileURLToPath(import.meta.url)),
  resourcesPath = (process as { resourcesPath?: string }).resourcesPath,
): string {
  if (given !== undefined) {
    if (!holdsTemplates(given)) throw new UserError('not-found', `${given} holds no job templates (train.py, README.md).`)
    return given
  }
  if (resourcesPath && holdsTemplates(join(resourcesPath, 'job'))) return join(resourcesPath, 'job')
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'resources', 'job')
    if (holdsTemplates(candidate)) return candidate
    if (dirname(dir) === dir) break
  }
  throw new UserError('not-found', 'The job templates (resources/job/train.py) are missing from this installation.')
}
