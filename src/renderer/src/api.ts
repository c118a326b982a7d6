/**
 * The renderer's one way to reach the engine, typed by the contract. In Electron the preload gives
 * `window.cllm` (IPC); in a browser the same calls travel over the WebSocket of `cllm serve` at this
 * page's own origin, authenticated with the token from the address (#token=…).
 */
import type {
  CllmApi,
  EventName,
  EventPayload,
  MethodInput,
  MethodName,
  MethodOutput,
} from '../../shared/contract'
import type { ApiError, Result } from '../../shared/errors'
import {
  WS_PATH,
  WS_SUBPROTOCOL,
  WS_TOKEN_PROTOCOL_PREFIX,
  WsClose,
  type RequestId,
  type ServerMessage,
} from '../../shared/ws-protocol'

/** ipc: Electron. The others describe the WebSocket: live, (re)connecting, or refused for want of the token. */
export type ConnectionState = 'ipc' | 'connecting' | 'open' | 'reconnecting' | 'unauthorized'

export interface StudioApi extends CllmApi {
  readonly kind: 'ipc' | 'websocket'
  connectionState(): ConnectionState
  onConnectionState(listener: (state: ConnectionState) => void): () => void
  close(): void
}

export const MISSING_TOKEN_MESSAGE =
  'This page needs its access token. Open the full address that cllm serve printed (it ends with #token=…).'
const REFUSED_TOKEN_MESSAGE =
  'The engine refused the access token. Open the address that cllm serve printed; it changes each time the server starts.'
const LOST_CONNECTION_MESSAGE =
  'Lost the connection to the engine before it answered. Check that cllm serve is still running.'

/** Enough of the browser's WebSocket for this client; the `ws` package's WebSocket fits too (tests). */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}
export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike

export interface WebSocketApiOptions {
  url: string
  token: string | null
  createSocket?: WebSocketFactory
  /** Reconnect delays grow from the first to the last, doubling. */
  backoffMs?: { first: number; max: number }
}

interface Pending {
  message: string
  sent: boolean
  resolve: (result: Result<unknown>) => void
}

export class WebSocketApi implements StudioApi {
  readonly kind = 'websocket' as const
  private socket: WebSocketLike | null = null
  private ready = false
  private closed = false
  private state: ConnectionState
  private attempt = 0
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  private nextId = 1
  private readonly pending = new Map<RequestId, Pending>()
  private readonly listeners = new Map<string, Set<(payload: never) => void>>()
  private readonly stateListeners = new Set<(state: ConnectionState) => void>()
  private readonly createSocket: WebSocketFactory
  private readonly backoff: { first: number; max: number }

  constructor(private readonly options: WebSocketApiOptions) {
    this.createSocket =
      options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols) as WebSocketLike)
    this.backoff = options.backoffMs ?? { first: 250, max: 5000 }
    this.state = options.token ? 'connecting' : 'unauthorized'
    if (options.token) this.connect()
  }

  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<Result<MethodOutput<M>>> {
    if (this.state === 'unauthorized' || this.closed) {
      const message = this.closed
        ? LOST_CONNECTION_MESSAGE
        : this.options.token
          ? REFUSED_TOKEN_MESSAGE
          : MISSING_TOKEN_MESSAGE
      return Promise.resolve(failure({ code: 'forbidden', message }))
    }
    const id = this.nextId++
    return new Promise((resolve) => {
      const entry: Pending = {
        message: JSON.stringify({ id, method, input }),
        sent: false,
        resolve: resolve as (result: Result<unknown>) => void,
      }
      this.pending.set(id, entry)
      if (this.ready) this.transmit(entry)
    })
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as (payload: never) => void)
    return () => set.delete(listener as (payload: never) => void)
  }

  connectionState(): ConnectionState {
    return this.state
  }

  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  close(): void {
    this.closed = true
    clearTimeout(this.reconnectTimer)
    this.socket?.close(1000, 'closed by the page')
    this.failPending(() => true, LOST_CONNECTION_MESSAGE, 'internal')
  }

  private connect(): void {
    const token = this.options.token as string
    const socket = this.createSocket(this.options.url, [
      WS_SUBPROTOCOL,
      WS_TOKEN_PROTOCOL_PREFIX + token,
    ])
    this.socket = socket
    socket.onmessage = (event) => this.receive(event.data)
    socket.onerror = () => {}
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.socket = null
      this.ready = false
      if (this.closed) return
      if (event.code === WsClose.unauthorized) {
        this.setState('unauthorized')
        this.failPending(() => true, REFUSED_TOKEN_MESSAGE, 'forbidden')
        return
      }
      // Requests already sent may never be answered; the ones still queued go out after reconnecting.
      this.failPending((entry) => entry.sent, LOST_CONNECTION_MESSAGE, 'internal')
      this.setState('reconnecting')
      const delay = Math.min(this.backoff.max, this.backoff.first * 2 ** this.attempt++)
      this.reconnectTimer = setTimeout(() => this.connect(), delay)
    }
  }

  private receive(data: unknown): void {
    let message: ServerMessage
    try {
      message = JSON.parse(String(data)) as ServerMessage
    } catch {
      return
    }
    if ('authenticated' in message) {
      this.ready = true
      this.attempt = 0
      this.setState('open')
      for (const entry of this.pending.values()) if (!entry.sent) this.transmit(entry)
    } else if ('result' in message) {
      if (message.id === null) return
      const entry = this.pending.get(message.id)
      if (!entry) return
      this.pending.delete(message.id)
      entry.resolve(message.result)
    } else if ('event' in message) {
      for (const listener of this.listeners.get(message.event) ?? []) {
        ;(listener as (payload: unknown) => void)(message.payload)
      }
    }
  }

  private transmit(entry: Pending): void {
    entry.sent = true
    this.socket?.send(entry.message)
  }

  private failPending(
    which: (entry: Pending) => boolean,
    message: string,
    code: ApiError['code'],
  ): void {
    for (const [id, entry] of this.pending) {
      if (!which(entry)) continue
      this.pending.delete(id)
      entry.resolve(failure({ code, message }))
    }
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return
    this.state = state
    for (const listener of this.stateListeners) listener(state)
  }
}

/** Wraps the preload's `window.cllm`, which is always connected. */
function ipcApi(cllm: CllmApi): StudioApi {
  return {
    kind: 'ipc',
    call: (method, input) => cllm.call(method, input),
    on: (event, listener) => cllm.on(event, listener),
    connectionState: () => 'ipc',
    onConnectionState: () => () => {},
    close: () => {},
  }
}

/** The token from a fragment such as `#token=abc` (other fragment parameters are ignored). */
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token')
  return token ? token : null
}

export function webSocketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS_PATH}`
}

export function createApi(win: Window = window): StudioApi {
  if (win.cllm) return ipcApi(win.cllm)
  return new WebSocketApi({
    url: webSocketUrl(win.location),
    token: tokenFromHash(win.location.hash),
  })
}

let current: StudioApi | undefined

/** The app's API client, created on first use. Tests install their own with `setApi`. */
export function useApi(): StudioApi {
  return (current ??= createApi())
}

export function setApi(api: StudioApi | undefined): void {
  current = api
}

function failure(error: ApiError): Result<never> {
  return { ok: false, error }
}
