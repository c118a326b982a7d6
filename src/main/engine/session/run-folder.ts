/**
 * Where a run writes, as the session needs it: a resumed run's child folder, a folder's run name,
 * and the folders whose encoded datasets a new run may reuse (read only).
 */
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PathsSection, type RunConfigInput } from '../../../shared/training'
import { createRunDir } from '../checkpoints'
import { childRunBase, childRunRoot, createUniqueRunDir } from '../runs'

/** A resumed run's own folder: in the folder the caller named, else beside the parent run; named by the caller or after its parent. */
export async function createChildRunDir(resume: string, step: number, paths: RunConfigInput['paths']): Promise<string> {
  const root = childRunRoot(resume, paths?.checkpointDir, PathsSection.parse({}).checkpointDir)
  const name = paths?.runName
  return name !== undefined ? createRunDir(root, name) : createUniqueRunDir(root, childRunBase(resume, step))
}

export function runDirName(runDir: string): string {
  return runDir.split(/[\\/]/).filter(Boolean).pop() ?? 'run'
}

/** Run folders (and the Data view's hidden one) under the checkpoint folder that hold an encoded dataset. */
export async function preparedDatasets(checkpointDir: string): Promise<string[]> {
  const entries = await readdir(checkpointDir, { withFileTypes: true }).catch(() => [])
  return entries
    .filter((entry) => entry.isDirectory() && existsSync(join(checkpointDir, entry.name, 'dataset.json')))
    .map((entry) => join(checkpointDir, entry.name))
}
