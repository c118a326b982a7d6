/**
 * Training elsewhere, both halves: "Train elsewhere…" writes a job folder for PyTorch (from a
 * checkpoint, or from a corpus folder and the Train form's settings), and "Import a run…" brings the
 * run folder the job wrote back into the checkpoint folder. Paths follow the UI's rules: a job goes
 * into `jobs/` in the checkpoint folder or a folder the user chose; a run to import must be in a
 * folder the user chose (or below the checkpoint folder, where a local job's runs/ lies).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UserError } from '../../../../shared/errors'
import type { RunConfigInput } from '../../../../shared/training'
import { exportJobFromCheckpoint, exportJobFromConfig } from '../../interchange/job'
import { importRun } from '../../runs'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkCheckpointPath, checkReadable } from './access'
import type { SphereSlot } from './training'

/** Where jobs go when the UI names no folder: beside the runs (two levels down, so never listed as one). */
export const JOBS_FOLDER = 'jobs'

/** The commands of a job's README, by section: each `## Title` with its indented code lines. */
export function jobCommands(readme: string): Array<{ title: string; lines: string[] }> {
  const sections: Array<{ title: string; lines: string[] }> = []
  let current: { title: string; lines: string[] } | null = null
  for (const line of readme.split('\n')) {
    const heading = /^## (.+)$/.exec(line)
    if (heading) {
      current = { title: heading[1].trim(), lines: [] }
      sections.push(current)
    } else if (current && line.startsWith('    ')) {
      current.lines.push(line.slice(4))
    }
  }
  return sections.filter((section) => section.lines.length > 0)
}

/** A name not taken in `parent`: `base`, `base-2`, … */
function freeName(parent: string, base: string): string {
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const name = attempt === 1 ? base : `${base}-${attempt}`
    if (!existsSync(join(parent, name))) return name
  }
  throw new UserError('invalid-input', `No free folder name for ${base} in ${parent}.`)
}

export function createElsewhereHandlers(
  context: EngineContext,
  spheres: Pick<SphereSlot, 'holdSpheres'>,
): Pick<Handlers, 'runs.import' | 'jobs.export'> {
  const { options, events } = context
  /** A folder the UI may read: one the user chose, or inside the checkpoint folder. */
  const readableFolder = (folder: string): string => {
    const absolute = resolve(options.checkpointDir, folder)
    if (options.mayRead(absolute)) return absolute
    try {
      return checkCheckpointPath(context, absolute)
    } catch {
      return checkReadable(context, absolute) // throws the usual "choose it with the folder picker"
    }
  }
  return {
    'runs.import': async ({ folder, importId }) => {
      const source = readableFolder(folder)
      const result = await importRun({
        source,
        checkpointDir: options.checkpointDir,
        onProgress: (progress) => {
          if (importId) events.emit('runs.importProgress', { importId, ...progress })
        },
      })
      return result
    },
    'jobs.export': async ({ checkpoint, folder, config, outDir, jobId }) => {
      const parent = outDir === undefined ? join(options.checkpointDir, JOBS_FOLDER) : checkReadable(context, outDir)
      const onProgress = (progress: { phase: string; detail: string }) => {
        if (jobId) events.emit('jobs.progress', { jobId, ...progress })
      }
      let result: Awaited<ReturnType<typeof exportJobFromCheckpoint>> & { runDir?: string }
      if (checkpoint !== undefined) {
        const source = checkCheckpointPath(context, checkpoint)
        const name = `${basename(dirname(source))}-${basename(source).replace(/\.safetensors$/, '')}-job`
        result = await exportJobFromCheckpoint({ checkpoint: source, outDir: join(parent, freeName(parent, name)), onProgress })
      } else {
        // Prepares a run here (tokenizer, dataset, initial weights) on the spheres: not beside a
        // training run, and no run starts until it is written.
        const corpusFolder = checkReadable(context, folder!)
        const corpus = context.corpus.current
        const given = (typeof config === 'object' && config !== null ? config : {}) as RunConfigInput
        result = await spheres.holdSpheres(
          'preparing a job',
          'A training run is in progress; a job from settings prepares its run here, so wait until it ends.',
          () =>
            exportJobFromConfig({
              folder: corpusFolder,
              config: given,
              outDir: join(parent, freeName(parent, `job-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}`)),
              checkpointDir: options.checkpointDir,
              onProgress,
              ...(corpus && resolve(corpus.summary.root) === corpusFolder ? { corpus } : {}),
            }),
        )
      }
      const readme = result.files.find((file) => file.name === 'README.md')
      const commands = readme ? jobCommands(await readFile(readme.path, 'utf8')) : []
      return {
        outDir: result.outDir,
        files: result.files,
        step: result.step,
        parent: result.parent,
        ...(result.runDir !== undefined ? { runDir: result.runDir } : {}),
        commands,
      }
    },
  }
}
