/**
 * The WebSocket transport of the contract (`cllm serve`): where it listens, how a client proves it
 * holds the access token, and the shape of each message. Shared by the server and the browser client.
 */
import type { EngineEvent } from './contract'
import type { Result } from './errors'

/** Path of the WebSocket endpoint on the server's own origin. */
export const WS_PATH = '/api'
/** The subprotocol a client asks for; the server selects it. */
export const WS_SUBPROTOCOL = 'cllm.v1'
/** A client may carry its token as a second offered subprotocol: `cllm.token.<token>`. */
export const WS_TOKEN_PROTOCOL_PREFIX = 'cllm.token.'
/** Largest message the server accepts from a client. */
export const WS_MAX_MESSAGE_BYTES = 1024 * 1024
/** How long a connection may stay open without proving it holds the token. */
export const WS_AUTH_TIMEOUT_MS = 10_000

/** Close codes the server uses (4000–4999 are free for applications). */
export const WsClose = {
  unauthorized: 4401,
  shuttingDown: 1001,
} as const

export type RequestId = number | string

/** Client → server. The token message is needed only when the token came neither as subprotocol nor query. */
export type ClientMessage = { token: string } | { id: RequestId; method: string; input?: unknown }

/** Server → client: the answer to one request, an engine event, or the go-ahead after authentication. */
export type ServerMessage =
  | { id: RequestId | null; result: Result<unknown> }
  | EngineEvent
  | { authenticated: true }
