/**
 * The job folder is written whole or not at all: into a temporary sibling folder, renamed into place
 * at the end. An existing non-empty folder, a file, or a link at the destination is refused before
 * any work, so nothing of the user's is ever overwritten.
 */
import { randomBytes } from 'node:crypto'
import { lstatSync, readdirSync } from 'node:fs'
import { mkdir, rename, rm, rmdir } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UserError } from '../../../../shared/errors'
import { assertNotLink } from '../../containment'

/** Refuses a destination that is a link, a file or a non-empty folder; returns its absolute path. */
export function checkJobOutDir(outDir: string): string {
  const dir = resolve(outDir)
  let info
  try {
    info = lstatSync(dir)
  } catch {
    assertNotLink(dir) // its folder must not be a link either
    return dir
  }
  if (info.isSymbolicLink()) throw new UserError('forbidden', `${dir} is a symbolic link; a job is never written through a link.`)
  if (!info.isDirectory()) throw new UserError('not-a-folder', `${dir} exists and is not a folder.`)
  if (readdirSync(dir).length > 0) {
    throw new UserError('invalid-input', `${dir} is not empty; a job is written into a new or empty folder only.`)
  }
  assertNotLink(dir)
  return dir
}

/** A temporary folder beside `dir`, where the job is assembled. */
export async function stagingFolder(dir: string): Promise<string> {
  await mkdir(dirname(dir), { recursive: true })
  const staging = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  await mkdir(staging)
  return staging
}

/** Moves the finished staging folder to `dir` (an empty folder there is replaced). */
export async function publishFolder(staging: string, dir: string): Promise<void> {
  checkJobOutDir(dir) // nothing appeared there meanwhile
  await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  await rename(staging, dir)
}

export async function discardFolder(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true })
}
