import { beforeEach, describe, expect, it, vi } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

vi.mock('electron', () => import('./fake-electron'))

const fake = await import('./fake-electron')
const { CONTENT_SECURITY_POLICY, guardWebContents, installSessionSecurity, openExternally } = await import(
  '../../../src/main/security'
)

const renderer = { kind: 'app' as const, root: '/app/out/renderer', url: 'app://cllm/index.html' }

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((part) => {
      const [name, ...values] = part.trim().split(/\s+/)
      return [name, values] as [string, string[]]
    }),
  )
}

describe('Content-Security-Policy', () => {
  it('allows only our own scripts, no eval, no plugins, no foreign connections', () => {
    const csp = directives(CONTENT_SECURITY_POLICY)
    expect(csp.get('default-src')).toEqual(["'self'"])
    expect(csp.get('script-src')).toEqual(["'self'"])
    expect(csp.get('connect-src')).toEqual(["'self'"])
    expect(csp.get('object-src')).toEqual(["'none'"])
    expect(csp.get('base-uri')).toEqual(["'none'"])
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*|https?:/)
  })

  it('is set on every response, replacing whatever policy the response carried', () => {
    const session = new fake.FakeSession()
    installSessionSecurity(session as never)
    let headers: Record<string, string | string[]> | undefined
    session.headersListener!(
      {
        url: 'http://localhost:5173/',
        responseHeaders: { 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] },
      },
      (response) => (headers = response.responseHeaders),
    )
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] })
  })

  it('refuses every permission request', () => {
    const session = new fake.FakeSession()
    installSessionSecurity(session as never)
    const answers: boolean[] = []
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal']) {
      session.permissionHandler!({}, permission, (granted) => answers.push(granted))
    }
    expect(answers).toEqual([false, false, false, false])
  })

  it('answers every permission check with no (navigator.permissions, clipboard, devices)', () => {
    const session = new fake.FakeSession()
    installSessionSecurity(session as never)
    for (const permission of ['media', 'clipboard-read', 'notifications', 'hid', 'serial', 'usb', 'fullscreen']) {
      expect(session.permissionCheckHandler!({}, permission, 'app://cllm', {}), permission).toBe(false)
    }
  })

  it('the renderer page carries the same connect-src as the header: its own origin only', () => {
    const html = readFileSync(resolve(import.meta.dirname, '../../../src/renderer/index.html'), 'utf8')
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1]
    expect(meta).toBeDefined()
    expect(directives(meta!).get('connect-src')).toEqual(["'self'"])
    expect(directives(meta!).get('script-src')).toEqual(["'self'"])
  })
})

describe('web contents fences', () => {
  beforeEach(() => fake.shell.openExternal.mockClear())

  it('blocks navigation away from our page and opens web links in the browser instead', () => {
    const contents = new fake.FakeWebContents()
    guardWebContents(contents as never, renderer)
    const away = fake.fakeEvent({ url: 'https://example.com/' })
    contents.emit('will-navigate', away)
    expect(away.defaultPrevented).toBe(true)
    expect(fake.shell.openExternal).toHaveBeenCalledWith('https://example.com/')

    const local = fake.fakeEvent({ url: 'file:///etc/passwd' })
    contents.emit('will-navigate', local)
    expect(local.defaultPrevented).toBe(true)
    expect(fake.shell.openExternal).toHaveBeenCalledTimes(1)

    const same = fake.fakeEvent({ url: 'app://cllm/index.html#/data' })
    contents.emit('will-navigate', same)
    expect(same.defaultPrevented).toBe(false)
  })

  it('blocks subframe navigation and <webview>', () => {
    const contents = new fake.FakeWebContents()
    guardWebContents(contents as never, renderer)
    const frame = fake.fakeEvent({ url: 'https://example.com/' })
    contents.emit('will-frame-navigate', frame)
    expect(frame.defaultPrevented).toBe(true)
    const webview = fake.fakeEvent({})
    contents.emit('will-attach-webview', webview)
    expect(webview.defaultPrevented).toBe(true)
  })

  it('denies every new window; only http(s) links go to the external browser', () => {
    const contents = new fake.FakeWebContents()
    guardWebContents(contents as never, renderer)
    for (const url of ['https://example.com/docs', 'javascript:alert(1)', 'file:///etc/passwd', 'smb://host/share']) {
      expect(contents.windowOpenHandler!({ url })).toEqual({ action: 'deny' })
    }
    expect(fake.shell.openExternal.mock.calls).toEqual([['https://example.com/docs']])
  })

  it('opens only http and https externally', () => {
    expect(openExternally('http://example.com')).toBe(true)
    expect(openExternally('mailto:me@example.com')).toBe(false)
    expect(openExternally('::not a url::')).toBe(false)
  })
})
