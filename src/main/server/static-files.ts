/**
 * Serves the built renderer (out/renderer) read-only: GET/HEAD only, known MIME types, and nothing
 * outside the renderer folder — a path that escapes it, even through a symbolic link, is refused.
 */
import { readFile, realpath, stat } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isInside } from './folder-policy'

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
}

export function mimeTypeOf(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

export function createStaticHandler(rendererDir: string): StaticHandler {
  const root = resolve(rendererDir)
  let realRoot: Promise<string> | undefined

  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendText(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' })
    }
    const file = resolveRequestPath(root, req.url ?? '/')
    if (file === undefined) return sendText(res, 400, 'Bad request')
    if (file === null) return sendText(res, 403, 'Forbidden')
    try {
      realRoot ??= realpath(root)
      const real = await realpath(file)
      if (!isInside(real, await realRoot)) return sendText(res, 403, 'Forbidden')
      if (!(await stat(real)).isFile()) return sendText(res, 404, 'Not found')
      const body = await readFile(real)
      res.writeHead(200, {
        'Content-Type': mimeTypeOf(real),
        'Content-Length': body.length,
        // index.html changes with every build; hashed assets could be cached, but a local server gains little.
        'Cache-Control': 'no-cache',
      })
      res.end(req.method === 'HEAD' ? undefined : body)
    } catch {
      sendText(res, 404, 'Not found')
    }
  }
}

/**
 * The file a request URL names: undefined when the URL cannot be decoded, null when it points
 * outside the root (after decoding, so `%2e%2e%2f` counts as `../`).
 */
export function resolveRequestPath(root: string, requestUrl: string): string | null | undefined {
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(requestUrl, 'http://localhost').pathname)
  } catch {
    return undefined
  }
  if (pathname.includes('\0')) return undefined
  if (pathname.endsWith('/')) pathname += 'index.html'
  const file = resolve(join(root, pathname))
  return isInside(file, root) ? file : null
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers })
  res.end(text)
}
