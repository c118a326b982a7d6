/** A minimal Node WebSocket client for the server tests: waits for messages and for the close. */
import WebSocket from 'ws'
import { WS_SUBPROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../../src/shared/ws-protocol'

export interface TestClient {
  ws: WebSocket
  /** The next message that satisfies `match`, parsed (earlier non-matching ones are kept). */
  next<T = Record<string, unknown>>(
    match?: (message: Record<string, unknown>) => boolean,
  ): Promise<T>
  request(
    method: string,
    input?: unknown,
  ): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>
  closed: Promise<{ code: number; reason: string }>
}

let requestId = 0

export function connect(
  url: string,
  options: { token?: string; protocols?: string[]; headers?: Record<string, string> } = {},
): TestClient {
  const protocols = options.protocols ?? [
    WS_SUBPROTOCOL,
    ...(options.token !== undefined ? [WS_TOKEN_PROTOCOL_PREFIX + options.token] : []),
  ]
  const ws = new WebSocket(url, protocols, { headers: options.headers })
  const inbox: Array<Record<string, unknown>> = []
  const waiters: Array<{
    match: (m: Record<string, unknown>) => boolean
    resolve: (m: Record<string, unknown>) => void
  }> = []
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>
    const index = waiters.findIndex((w) => w.match(message))
    if (index >= 0) waiters.splice(index, 1)[0].resolve(message)
    else inbox.push(message)
  })
  ws.on('error', () => {})
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )

  const next = <T>(match: (m: Record<string, unknown>) => boolean = () => true): Promise<T> => {
    const index = inbox.findIndex(match)
    if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0] as T)
    return new Promise((resolve) =>
      waiters.push({ match, resolve: resolve as (m: Record<string, unknown>) => void }),
    )
  }

  return {
    ws,
    next,
    closed,
    async request(method, input) {
      const id = `r${++requestId}`
      if (ws.readyState !== WebSocket.OPEN) await new Promise((resolve) => ws.once('open', resolve))
      ws.send(JSON.stringify({ id, method, input }))
      const reply = await next<{
        result: { ok: boolean; value?: unknown; error?: { code: string; message: string } }
      }>((m) => m.id === id)
      return reply.result
    },
  }
}

/** Resolves with the HTTP status when the server refuses the upgrade. */
export function refusedStatus(client: TestClient): Promise<number> {
  return new Promise((resolve, reject) => {
    client.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    client.ws.on('open', () => reject(new Error('the connection was accepted')))
  })
}
