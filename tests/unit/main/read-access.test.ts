import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { ReadAccess, isInside } from '../../../src/main/read-access'

describe('ReadAccess', () => {
  const sample = join('/opt', 'app', 'sample-corpus')

  it('allows the roots it was given and every folder below them', () => {
    const access = new ReadAccess([sample])
    expect(access.mayRead(sample)).toBe(true)
    expect(access.mayRead(join(sample, 'poems', 'old'))).toBe(true)
    expect(access.mayRead(`${sample}/`)).toBe(true)
  })

  it('refuses parents, siblings sharing a name prefix, and escapes through ..', () => {
    const access = new ReadAccess([sample])
    expect(access.mayRead(join('/opt', 'app'))).toBe(false)
    expect(access.mayRead('/')).toBe(false)
    expect(access.mayRead(`${sample}-private`)).toBe(false)
    expect(access.mayRead(`${sample}/../secrets`)).toBe(false)
    expect(access.mayRead('/etc')).toBe(false)
  })

  it('allows a folder once it has been picked', () => {
    const access = new ReadAccess()
    const picked = join('/home', 'me', 'notes')
    expect(access.mayRead(picked)).toBe(false)
    access.allow(picked)
    expect(access.mayRead(join(picked, '2024'))).toBe(true)
    expect(access.mayRead(join('/home', 'me'))).toBe(false)
  })

  it('treats a folder whose name starts with two dots as inside', () => {
    expect(isInside('/a', '/a/..hidden')).toBe(true)
    expect(isInside('/a', '/a/..')).toBe(false)
  })
})
