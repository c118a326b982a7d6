import { describe, expect, it } from 'vitest'
import {
  createAccessToken,
  createHostCheck,
  isLoopbackHost,
  originMatches,
  tokenMatches,
} from '../../../../src/main/server/access'

describe('access token', () => {
  it('is 24 random bytes in base64url, different every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, createAccessToken))
    expect(tokens.size).toBe(50)
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
  })

  it('matches only itself', () => {
    const token = createAccessToken()
    expect(tokenMatches(token, token)).toBe(true)
    expect(tokenMatches(token, token.slice(1))).toBe(false)
    expect(tokenMatches(token, `${token}x`)).toBe(false)
    expect(tokenMatches(token, '')).toBe(false)
    expect(tokenMatches(token, undefined)).toBe(false)
    expect(tokenMatches(token, 42)).toBe(false)
  })
})

describe('host and origin checks', () => {
  it('on loopback accepts only loopback names with our port', () => {
    const allowed = createHostCheck('127.0.0.1', 5000)
    expect(allowed('127.0.0.1:5000')).toBe(true)
    expect(allowed('localhost:5000')).toBe(true)
    expect(allowed('LOCALHOST:5000')).toBe(true)
    expect(allowed('localhost:5001')).toBe(false)
    expect(allowed('attacker.example:5000')).toBe(false)
    expect(allowed(undefined)).toBe(false)
  })

  it('on other interfaces accepts any well-formed host', () => {
    const allowed = createHostCheck('0.0.0.0', 5000)
    expect(allowed('studio.lan:5000')).toBe(true)
    expect(allowed("x; script-src 'unsafe-inline'")).toBe(false)
  })

  it('requires a browser Origin to be the page’s own', () => {
    expect(originMatches('http://127.0.0.1:5000', '127.0.0.1:5000')).toBe(true)
    expect(originMatches('http://evil.example', '127.0.0.1:5000')).toBe(false)
    expect(originMatches('http://127.0.0.1:5001', '127.0.0.1:5000')).toBe(false)
    expect(originMatches('null', '127.0.0.1:5000')).toBe(false)
    expect(originMatches('file://', '127.0.0.1:5000')).toBe(false)
    // Non-browser clients send no Origin; the token still guards them.
    expect(originMatches(undefined, '127.0.0.1:5000')).toBe(true)
  })

  it('knows the loopback names', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1'])
      expect(isLoopbackHost(host)).toBe(true)
    for (const host of ['0.0.0.0', '192.168.1.2', '::', 'example.com'])
      expect(isLoopbackHost(host)).toBe(false)
  })
})
