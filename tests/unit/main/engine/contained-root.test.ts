/** The containment rule by identity: ContainedRoot, FolderCursor, openRegularFile, writes and mounts. */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../../../src/main/engine/checkpoints/atomic-write'
import {
  assertWritableFile,
  ContainedRoot,
  ContainmentRefusal,
  FolderCursor,
  mountPointsBelow,
  openRegularFile,
  readOpenedFile,
  readRegularFile,
} from '../../../../src/main/engine/containment'
import { UserError } from '../../../../src/shared/errors'

let base: string
let root: string
let outside: string

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'cllm-contained-'))
  root = join(base, 'root')
  outside = join(base, 'outside')
  mkdirSync(join(root, 'a', 'b'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(join(root, 'a', 'b', 'file.txt'), 'inside')
  writeFileSync(join(outside, 'file.txt'), 'outside')
  symlinkSync(outside, join(root, 'link'))
  symlinkSync(join(outside, 'file.txt'), join(root, 'a', 'file-link.txt'))
  execFileSync('mkfifo', [join(root, 'a', 'pipe')])
})
afterAll(() => rmSync(base, { recursive: true, force: true }))

function refusal(action: () => unknown): ContainmentRefusal | UserError {
  try {
    action()
  } catch (error) {
    if (error instanceof UserError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

describe('ContainedRoot', () => {
  it('opens a file part by part and reads what is inside', async () => {
    const tree = ContainedRoot.open(root, 'The folder')
    expect((await readOpenedFile(tree.openFile('a/b/file.txt'))).toString()).toBe('inside')
  })

  it('refuses a link anywhere below the root, a FIFO before opening it, and `..`', () => {
    const tree = ContainedRoot.open(root, 'The folder')
    const viaLink = refusal(() => tree.openFile('link/file.txt'))
    expect(viaLink).toBeInstanceOf(ContainmentRefusal)
    expect((viaLink as ContainmentRefusal).why).toBe('link')
    expect((refusal(() => tree.openFile('a/file-link.txt')) as ContainmentRefusal).why).toBe('link')
    expect((refusal(() => tree.openFile('a/pipe')) as ContainmentRefusal).why).toBe('not-regular')
    expect(refusal(() => tree.openFile('../outside/file.txt')).code).toBe('forbidden')
    expect(refusal(() => tree.folder('link')).message).toMatch(/is a symbolic link/)
  })

  it('refuses a root that is itself a link, or not a folder', () => {
    expect(refusal(() => ContainedRoot.open(join(root, 'link'), 'The folder')).message).toMatch(/is a symbolic link/)
    expect(refusal(() => ContainedRoot.open(join(root, 'a', 'b', 'file.txt'), 'The folder')).code).toBe('not-a-folder')
  })

  it('makes missing folders one part at a time, and refuses what cannot be made in one sentence', () => {
    const tree = ContainedRoot.open(join(base, 'made'), 'The folder', { create: true })
    expect(tree.folder('x/y', { create: true })).toBe(join(base, 'made', 'x', 'y'))
    expect(refusal(() => ContainedRoot.open('/proc/nope/x', 'The export folder', { create: true })).message).toMatch(/cannot be created/)
    expect(refusal(() => ContainedRoot.open(join(root, 'a', 'b', 'file.txt', 'x'), 'The export folder', { create: true })).message).toMatch(/not a folder/)
  })

  it('gives a write target only in a real folder, and never over a link or a FIFO', () => {
    const tree = ContainedRoot.open(root, 'The folder')
    expect(tree.writeTarget('a/b', 'new.txt')).toBe(join(root, 'a', 'b', 'new.txt'))
    expect(refusal(() => tree.writeTarget('a', 'file-link.txt')).message).toMatch(/is a symbolic link/)
    expect(refusal(() => tree.writeTarget('a', 'pipe')).message).toMatch(/named pipe/)
    expect(refusal(() => tree.writeTarget('link', 'x.txt')).message).toMatch(/is a symbolic link/)
  })

  it('sees a folder swapped for a link after the root was opened', () => {
    const tree = ContainedRoot.open(root, 'The folder')
    renameSync(join(root, 'a'), join(base, 'a-away'))
    symlinkSync(outside, join(root, 'a'))
    try {
      expect((refusal(() => tree.openFile('a/file.txt')) as ContainmentRefusal).why).toBe('link')
    } finally {
      rmSync(join(root, 'a'))
      renameSync(join(base, 'a-away'), join(root, 'a'))
    }
  })

  it('keeps reading from the folder it opened when its name is swapped meanwhile (FolderCursor)', async () => {
    const tree = ContainedRoot.open(root, 'The folder')
    writeFileSync(join(root, 'a', 'b', 'second.txt'), 'second inside')
    writeFileSync(join(outside, 'second.txt'), 'second outside')
    const cursor = new FolderCursor(tree)
    try {
      expect((await readOpenedFile(cursor.openFile('a/b/file.txt'))).toString()).toBe('inside')
      renameSync(join(root, 'a'), join(base, 'a-away'))
      symlinkSync(outside, join(root, 'a'))
      // The folder already open is the real one; its files are read from it, never through the link.
      expect((await readOpenedFile(cursor.openFile('a/b/second.txt'))).toString()).toBe('second inside')
    } finally {
      cursor.close()
      rmSync(join(root, 'a'))
      renameSync(join(base, 'a-away'), join(root, 'a'))
    }
  })
})

describe('files named by the user', () => {
  it('reads a regular file, refuses a link, a FIFO and a file over the cap by its size', async () => {
    expect((await readRegularFile(join(root, 'a', 'b', 'file.txt'))).toString()).toBe('inside')
    await expect(readRegularFile(join(root, 'a', 'file-link.txt'))).rejects.toThrow(/is a symbolic link/)
    await expect(readRegularFile(join(root, 'a', 'pipe'), { what: 'Checkpoint' })).rejects.toThrow(/Checkpoint .* is a named pipe/)
    await expect(readRegularFile(join(root, 'a', 'b', 'file.txt'), { maxBytes: 3 })).rejects.toThrow(/reads such files up to/)
    const opened = openRegularFile(join(root, 'a', 'b', 'file.txt'))
    closeSync(opened.fd)
    expect(opened.stats.isFile()).toBe(true)
  })

  it('never writes through a link at the destination: atomic writes refuse it and leave its target alone', async () => {
    expect(() => assertWritableFile(join(root, 'a', 'file-link.txt'))).toThrow(/is a symbolic link/)
    await expect(writeFileAtomic(join(root, 'a', 'file-link.txt'), ['replaced'])).rejects.toThrow(/is a symbolic link/)
    expect(readFileSync(join(outside, 'file.txt'), 'utf8')).toBe('outside')
  })
})

describe('mount points', () => {
  it('lists a bind mount below a root (where mounting is allowed)', (context) => {
    const target = join(root, 'mnt')
    mkdirSync(target)
    try {
      execFileSync('mount', ['--bind', outside, target], { stdio: 'ignore' })
    } catch {
      return context.skip()
    }
    try {
      expect(mountPointsBelow(root).has(target)).toBe(true)
      expect(mountPointsBelow(join(root, 'a')).size).toBe(0)
    } finally {
      execFileSync('umount', [target])
    }
  })
})
