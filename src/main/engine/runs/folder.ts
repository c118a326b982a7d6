/**
 * Where a run folder goes and what it is called. A new run gets `run-<date>-<time>` (or the name the
 * user gave) under the checkpoint folder; a resumed run is a new folder too — `<parent>-from-<step>`
 * in the checkpoint folder the user named, else beside the parent run — so nothing in the parent's
 * folder is ever written. Names are taken with mkdir, which fails if the folder exists: two runs
 * started at the same moment get two folders.
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import { RUN_JSON } from '../checkpoints'
import { openCheckpointFolder } from '../checkpoints/store'

/** The folder a checkpoint file's run lives in, or null for a loose file (no run.json beside it). */
export function runFolderOf(checkpoint: string): string | null {
  const folder = dirname(resolve(checkpoint))
  return existsSync(join(folder, RUN_JSON)) ? folder : null
}

/**
 * Where the child run of a resumed checkpoint is created: the checkpoint folder the caller named;
 * otherwise beside the parent run; for a loose file, the default checkpoint folder.
 */
export function childRunRoot(checkpoint: string, chosenDir: string | undefined, defaultDir: string): string {
  if (chosenDir !== undefined) return resolve(chosenDir)
  const parent = runFolderOf(checkpoint)
  return parent ? dirname(parent) : resolve(defaultDir)
}

/** `<parent run>-from-<step>`, or `<file name>-from-<step>` for a loose checkpoint. */
export function childRunBase(checkpoint: string, step: number): string {
  const parent = runFolderOf(checkpoint)
  const stem = parent ? basename(parent) : basename(checkpoint).replace(/\.safetensors$/, '')
  const safe = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'run'
  return `${safe.slice(0, 80)}-from-${step}`
}

/** Creates a folder `<root>/<base>`, or `<base>-2`, `-3`… when taken; returns its absolute path. */
export async function createUniqueRunDir(root: string, base: string): Promise<string> {
  openCheckpointFolder(root) // made when missing; a link there is refused
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const dir = join(resolve(root), attempt === 1 ? base : `${base}-${attempt}`)
    try {
      await mkdir(dir)
      return dir
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  throw new UserError('invalid-input', `Could not find a free run folder name for ${base} in ${root}.`)
}
