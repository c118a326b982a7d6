/**
 * `cllm serve`: one HTTP server that hands out the built renderer and carries the contract over a
 * WebSocket at /api, so the same UI runs in a browser against this engine. Every connection must
 * prove it holds the access token; browsers must come from this server's own origin.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, WebSocket, type RawData } from 'ws'
import type { EngineApi } from '../engine/api/engine-api'
import type { Result } from '../../shared/errors'
import {
  WS_AUTH_TIMEOUT_MS,
  WS_MAX_MESSAGE_BYTES,
  WS_PATH,
  WS_SUBPROTOCOL,
  WS_TOKEN_PROTOCOL_PREFIX,
  WsClose,
  type RequestId,
  type ServerMessage,
} from '../../shared/ws-protocol'
import {
  assertValidToken,
  createAccessToken,
  createHostCheck,
  formatHost,
  isWellFormedHost,
  originMatches,
  tokenMatches,
} from './access'
import { createStaticHandler } from './static-files'

export interface ServerOptions {
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Defaults to a fresh random token. */
  token?: string
  /** The built renderer (out/renderer). */
  rendererDir: string
  api: Pick<EngineApi, 'dispatch' | 'events'>
  maxMessageBytes?: number
  authTimeoutMs?: number
}

export interface RunningServer {
  host: string
  port: number
  token: string
  /** The server's origin, e.g. http://127.0.0.1:5123/ */
  url: string
  /** The address to open in a browser: the origin with the token in the fragment (never sent over the network). */
  openUrl: string
  close(): Promise<void>
}

const UNAUTHORIZED_REASON = 'Missing or wrong access token: open the address printed by cllm serve.'

/** The window's CSP, with the WebSocket origin the page was loaded from allowed for connect-src. */
export function contentSecurityPolicy(hostHeader: string | undefined): string {
  const ws = hostHeader && isWellFormedHost(hostHeader) ? ` ws://${hostHeader}` : ''
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self'${ws}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? createAccessToken()
  assertValidToken(token)
  const { api } = options
  const authTimeoutMs = options.authTimeoutMs ?? WS_AUTH_TIMEOUT_MS
  const serveStatic = createStaticHandler(options.rendererDir)
  let hostAllowed: (hostHeader: string | undefined) => boolean = () => false

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    setSecurityHeaders(res, req.headers.host)
    if (!hostAllowed(req.headers.host)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('Forbidden: unknown host')
      return
    }
    serveStatic(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? WS_MAX_MESSAGE_BYTES,
    // Select our protocol; never echo the token protocol back.
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  })
  const authenticated = new Set<WebSocket>()

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost')
    if (pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'Not Found')
    if (!hostAllowed(req.headers.host)) return refuseUpgrade(socket, 403, 'Forbidden')
    if (!originMatches(req.headers.origin, req.headers.host))
      return refuseUpgrade(socket, 403, 'Forbidden')
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req))
  })

  function onConnection(ws: WebSocket, req: IncomingMessage): void {
    const offered = offeredToken(req)
    if (offered !== undefined) {
      if (!tokenMatches(token, offered)) return ws.close(WsClose.unauthorized, UNAUTHORIZED_REASON)
      admit(ws)
    }
    const authTimer =
      offered === undefined
        ? setTimeout(() => ws.close(WsClose.unauthorized, UNAUTHORIZED_REASON), authTimeoutMs)
        : undefined

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const message = parseMessage(data, isBinary)
      if (!authenticated.has(ws)) {
        clearTimeout(authTimer)
        if (message.ok && tokenMatches(token, (message.value as { token?: unknown }).token))
          return admit(ws)
        return ws.close(WsClose.unauthorized, UNAUTHORIZED_REASON)
      }
      if (!message.ok) return send(ws, { id: null, result: invalid(message.error) })
      const request = message.value as { id?: unknown; method?: unknown; input?: unknown }
      if (!isRequestId(request.id)) {
        return send(ws, {
          id: null,
          result: invalid('Each request needs an "id" (a number or a string).'),
        })
      }
      const id = request.id
      if (typeof request.method !== 'string') {
        return send(ws, { id, result: invalid('Each request needs a "method" (a string).') })
      }
      api
        .dispatch(request.method, request.input, { transport: 'websocket' })
        .catch(
          (): Result<unknown> => ({
            ok: false,
            error: { code: 'internal', message: 'Something went wrong.' },
          }),
        )
        .then((result) => send(ws, { id, result }))
    })
    ws.on('close', () => {
      clearTimeout(authTimer)
      authenticated.delete(ws)
    })
    ws.on('error', () => ws.terminate())
  }

  function admit(ws: WebSocket): void {
    authenticated.add(ws)
    send(ws, { authenticated: true })
  }

  const unsubscribe = api.events.subscribe((event) => {
    const data = JSON.stringify(event)
    for (const ws of authenticated) if (ws.readyState === WebSocket.OPEN) ws.send(data)
  })

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolvePromise()
    })
  })
  const port = (server.address() as AddressInfo).port
  hostAllowed = createHostCheck(host, port)
  const url = `http://${formatHost(host)}:${port}/`

  let closing: Promise<void> | undefined
  return {
    host,
    port,
    token,
    url,
    openUrl: `${url}#token=${token}`,
    close: () =>
      (closing ??= new Promise<void>((resolvePromise) => {
        unsubscribe()
        for (const ws of wss.clients) ws.close(WsClose.shuttingDown, 'The server is shutting down.')
        wss.close()
        server.close(() => resolvePromise())
        // Sockets that do not finish the closing handshake must not keep the server alive.
        setTimeout(() => {
          for (const ws of wss.clients) ws.terminate()
          server.closeAllConnections()
        }, 500).unref()
        server.closeIdleConnections()
      })),
  }
}

/** The token from the `cllm.token.<token>` subprotocol or the `?token=` query, if the client sent one. */
function offeredToken(req: IncomingMessage): string | undefined {
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
  const fromProtocol = protocols.find((p) => p.startsWith(WS_TOKEN_PROTOCOL_PREFIX))
  if (fromProtocol !== undefined) return fromProtocol.slice(WS_TOKEN_PROTOCOL_PREFIX.length)
  const fromQuery = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token')
  return fromQuery ?? undefined
}

function parseMessage(
  data: RawData,
  isBinary: boolean,
): { ok: true; value: object } | { ok: false; error: string } {
  if (isBinary) return { ok: false, error: 'Messages must be JSON text, not binary.' }
  let value: unknown
  try {
    value = JSON.parse(rawToString(data))
  } catch {
    return { ok: false, error: 'The message is not valid JSON.' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'Each message must be a JSON object.' }
  }
  return { ok: true, value }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  return data.toString('utf8')
}

function isRequestId(id: unknown): id is RequestId {
  return (
    (typeof id === 'number' && Number.isFinite(id)) ||
    (typeof id === 'string' && id.length > 0 && id.length <= 100)
  )
}

function invalid(message: string): Result<never> {
  return { ok: false, error: { code: 'invalid-input', message } }
}

function send(ws: WebSocket, message: ServerMessage): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message))
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

function setSecurityHeaders(res: ServerResponse, hostHeader: string | undefined): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(hostHeader))
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('X-Frame-Options', 'DENY')
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
}
