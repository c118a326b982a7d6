/**
 * Serves the built renderer on app://cllm/ (see APP_SCHEME in app-paths.ts). The scheme is
 * registered as standard and secure before the app is ready, so the page has a real origin (CSP
 * 'self', ES module scripts, fetch) without file://'s extra privileges, which the packaged
 * executable's fuse turns off. Only files inside the renderer folder are ever served.
 */
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { protocol } from 'electron'
import { APP_SCHEME, appRequestPath } from './app-paths'
import { CONTENT_SECURITY_POLICY } from './security'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
}

/** Must run before `app.whenReady()` resolves (Electron's rule for privileged schemes). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
  ])
}

/** The request handler, separate so tests can call it with a plain Request. */
export function createAppRequestHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 })
    const file = appRequestPath(request.url, root)
    if (!file) return new Response('Not found', { status: 404 })
    try {
      const body = await readFile(file)
      const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
      // The policy travels with the page itself too: a custom protocol's responses may not pass webRequest.
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: { 'Content-Type': type, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
      })
    } catch {
      return new Response('Not found', { status: 404 })
    }
  }
}

/** After ready: answers app:// requests from the renderer folder. */
export function serveAppScheme(root: string): void {
  protocol.handle(APP_SCHEME, createAppRequestHandler(root))
}
