import { mkdtemp, mkdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFolderPolicy, isInside } from '../../../../src/main/server/folder-policy'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-policy-'))
  await mkdir(join(dir, 'root', 'sub'), { recursive: true })
  await mkdir(join(dir, 'rootless'))
  await mkdir(join(dir, 'elsewhere'))
  await symlink(join(dir, 'elsewhere'), join(dir, 'root', 'escape'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('createFolderPolicy', () => {
  it('allows a root and what lies below it, nothing beside it', () => {
    const mayRead = createFolderPolicy([join(dir, 'root')])
    expect(mayRead(join(dir, 'root'))).toBe(true)
    expect(mayRead(join(dir, 'root', 'sub'))).toBe(true)
    expect(mayRead(join(dir, 'root', 'sub', '..', '..', 'elsewhere'))).toBe(false)
    // A sibling whose name starts with the root's name is not inside it.
    expect(mayRead(join(dir, 'rootless'))).toBe(false)
    expect(mayRead('/')).toBe(false)
  })

  it('judges a symbolic link by where it leads', () => {
    const mayRead = createFolderPolicy([join(dir, 'root')])
    expect(mayRead(join(dir, 'root', 'escape'))).toBe(false)
    expect(
      createFolderPolicy([join(dir, 'root'), join(dir, 'elsewhere')])(join(dir, 'root', 'escape')),
    ).toBe(true)
  })

  it('lets a missing folder inside a root through, so the loader can say it is missing', () => {
    expect(createFolderPolicy([join(dir, 'root')])(join(dir, 'root', 'missing'))).toBe(true)
  })
})

describe('isInside', () => {
  it('compares whole path segments', () => {
    expect(isInside('/a/b', '/a')).toBe(true)
    expect(isInside('/a', '/a')).toBe(true)
    expect(isInside('/ab', '/a')).toBe(false)
    expect(isInside('/a/..b', '/a')).toBe(true)
    expect(isInside('/', '/a')).toBe(false)
  })
})
