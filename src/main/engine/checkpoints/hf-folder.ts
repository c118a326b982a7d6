/**
 * A Hugging Face model folder under the containment rule, for the importers: a name counts when
 * something is there (a link included, so it is refused when read rather than passed over), and
 * every file is read through `ContainedRoot.openFile`, which refuses links, FIFOs and devices
 * before reading.
 */
import { lstat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { UserError } from '../../../shared/errors'
import { ContainedRoot, readOpenedFile } from '../containment'

export function refuse(message: string): UserError {
  return new UserError('invalid-input', message)
}

export class ModelFolder {
  constructor(readonly root: ContainedRoot) {}

  /** Opens `folder`; a missing or unreadable one is `not-found`, a link or one outside a root `forbidden`. */
  static open(folder: string): ModelFolder {
    const dir = resolve(folder)
    try {
      return new ModelFolder(ContainedRoot.open(dir, 'The model folder'))
    } catch (error) {
      if (error instanceof UserError && error.code === 'forbidden') throw error
      throw new UserError('not-found', `${dir} is not a folder holding a Hugging Face model.`)
    }
  }

  async has(name: string): Promise<boolean> {
    return lstat(join(this.root.path, name)).then(
      (s) => !s.isDirectory(),
      () => false,
    )
  }

  async read(name: string): Promise<Buffer> {
    return readOpenedFile(this.root.openFile(name), { what: 'The file' })
  }

  async readText(name: string): Promise<string> {
    return (await this.read(name)).toString('utf8')
  }

  /** A JSON object file; anything else is refused naming the file. */
  async readJson(name: string): Promise<Record<string, unknown>> {
    const text = await this.readText(name)
    try {
      const value = JSON.parse(text) as unknown
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
    } catch {
      // refused below
    }
    throw refuse(`${this.path(name)} is not a JSON object.`)
  }

  path(name: string): string {
    return join(this.root.path, name)
  }
}
