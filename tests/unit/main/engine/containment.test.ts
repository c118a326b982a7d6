import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertNoLinksBelow,
  ContainedRoots,
  isWithin,
  realPathOf,
  resolveInside,
} from '../../../../src/main/engine/containment'
import { ReadAccess } from '../../../../src/main/read-access'

let base: string
let root: string
let outside: string

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'cllm-containment-'))
  root = join(base, 'root')
  outside = join(base, 'outside')
  mkdirSync(join(root, 'sub'), { recursive: true })
  mkdirSync(outside)
  writeFileSync(join(outside, 'secret.txt'), 'secret')
  symlinkSync(outside, join(root, 'out-link'))
  symlinkSync(join(root, 'sub'), join(root, 'in-link'))
})
afterAll(() => rmSync(base, { recursive: true, force: true }))

describe('containment', () => {
  it('compares normalised paths: .. and name prefixes do not pass', () => {
    expect(isWithin('/a/b/c', '/a/b')).toBe(true)
    expect(isWithin('/a/b', '/a/b')).toBe(true)
    expect(isWithin('/a/b/../c', '/a/b')).toBe(false)
    expect(isWithin('/a/bc', '/a/b')).toBe(false)
  })

  it('resolves links in the existing part of a path that does not exist yet', () => {
    expect(realPathOf(join(root, 'out-link', 'new', 'file.txt'))).toBe(
      join(realPathOf(outside), 'new', 'file.txt'),
    )
  })

  it('judges roots on real paths: a link inside a root that leads out is outside', () => {
    const roots = new ContainedRoots([root])
    expect(roots.contains(join(root, 'sub'))).toBe(true)
    expect(roots.contains(join(root, 'in-link'))).toBe(true)
    expect(roots.contains(join(root, 'out-link'))).toBe(false)
    expect(roots.contains(join(root, 'out-link', 'secret.txt'))).toBe(false)
    expect(roots.contains(join(root, '..', 'outside'))).toBe(false)
  })

  it('ReadAccess (the desktop app) follows the same rule', () => {
    const access = new ReadAccess([root])
    expect(access.mayRead(join(root, 'sub'))).toBe(true)
    expect(access.mayRead(join(root, 'out-link'))).toBe(false)
  })

  it('resolveInside refuses escapes by .., absolute paths and links, naming the folder', () => {
    expect(resolveInside(root, 'sub/x.txt', 'the folder')).toBe(join(root, 'sub', 'x.txt'))
    for (const escape of ['../outside', '/etc/passwd', 'out-link/secret.txt']) {
      expect(() => resolveInside(root, escape, 'the checkpoint folder')).toThrow(
        /is not in the checkpoint folder/,
      )
    }
  })

  it('refuses writes through any link below the root, even one that stays inside', () => {
    expect(() => assertNoLinksBelow(root, join(root, 'sub', 'new.txt'))).not.toThrow()
    expect(() => assertNoLinksBelow(root, join(root, 'in-link', 'new.txt'))).toThrow(
      /symbolic link; CLLM does not write through links/,
    )
    expect(() => assertNoLinksBelow(root, join(root, 'out-link', 'x'))).toThrow(/symbolic link/)
    expect(() => assertNoLinksBelow(root, join(outside, 'x'))).toThrow(/is not in/)
  })
})
