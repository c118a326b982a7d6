/**
 * Who may talk to the server: the access token (random, compared in constant time) and the
 * Host/Origin checks that stop other web sites from driving the engine through the user's browser
 * (cross-site WebSocket hijacking, DNS rebinding).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,200}$/

export function createAccessToken(): string {
  return randomBytes(24).toString('base64url')
}

/** Tokens travel in a subprotocol header and a URL fragment, so only URL-safe characters are allowed. */
export function assertValidToken(token: string): void {
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error('The access token must be 16 to 200 characters of A–Z, a–z, 0–9, "_" or "-".')
  }
}

/** Constant-time comparison; hashing first makes the lengths equal without leaking them. */
export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false
  const a = createHash('sha256').update(expected).digest()
  const b = createHash('sha256').update(given).digest()
  return timingSafeEqual(a, b)
}

export function isLoopbackHost(host: string): boolean {
  return (
    host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
  )
}

/**
 * The Host header values a browser may legitimately send. On loopback only the loopback names are
 * accepted (a rebound DNS name is refused); on other interfaces the server cannot know every name it
 * is reached by, so any well-formed Host is accepted and the token remains the guard.
 */
export function createHostCheck(
  boundHost: string,
  port: number,
): (hostHeader: string | undefined) => boolean {
  if (!isLoopbackHost(boundHost))
    return (hostHeader) => hostHeader !== undefined && isWellFormedHost(hostHeader)
  const allowed = new Set([
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `[::1]:${port}`,
    `${formatHost(boundHost)}:${port}`,
  ])
  return (hostHeader) => hostHeader !== undefined && allowed.has(hostHeader.toLowerCase())
}

/**
 * A browser always sends Origin on a WebSocket handshake; it must be this server's own origin.
 * Non-browser clients (the CLI, tests) send none and are judged by the token alone.
 */
export function originMatches(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true
  if (hostHeader === undefined) return false
  try {
    const url = new URL(origin)
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.host === hostHeader.toLowerCase()
    )
  } catch {
    return false
  }
}

export function isWellFormedHost(hostHeader: string): boolean {
  return /^[A-Za-z0-9.\-[\]:]{1,255}$/.test(hostHeader)
}

/** An IPv6 literal needs brackets in a URL or Host header. */
export function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}
