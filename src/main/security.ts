/**
 * The window's security fences (docs/architecture.md, Security): a strict Content-Security-Policy on every
 * response, no permission prompts, no navigation away from our page, no new windows, no <webview>.
 */
import { shell, type Session, type WebContents } from 'electron'
import { isRendererUrl, type RendererLocation } from './app-paths'

/**
 * Also put in the renderer's index.html as a <meta http-equiv> (file:// pages do not always pass
 * through webRequest). Inline styles are allowed because Vite injects component styles in dev and
 * chart.js sizes its canvas; scripts are only our own files, and nothing may be fetched elsewhere.
 * `connect-src 'self'`: the desktop window talks to nothing but its own files (IPC is not a fetch);
 * in the browser build 'self' also matches the WebSocket back to the page's own host and port, and
 * `cllm serve` names that origin in its header as well (src/main/server/ws-server.ts).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

export function installSessionSecurity(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      // Drop any policy the server sent, so ours is the one that applies.
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value
    }
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY]
    callback({ responseHeaders: headers })
  })
  // The app needs no camera, microphone, notifications, geolocation…: refuse without asking, and
  // answer every permission check (navigator.permissions, clipboard, HID/serial/USB…) with no too.
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
}

/** Keeps a window's contents on our renderer page. Web links open in the user's browser instead. */
export function guardWebContents(contents: WebContents, renderer: RendererLocation): void {
  contents.on('will-navigate', (event) => {
    if (isRendererUrl(event.url, renderer)) return
    event.preventDefault()
    openExternally(event.url)
  })
  contents.on('will-frame-navigate', (event) => {
    if (isRendererUrl(event.url, renderer)) return
    event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url)
    return { action: 'deny' }
  })
}

/** Only http(s): never file:, javascript:, or a custom protocol handler chosen by the page. */
export function openExternally(url: string): boolean {
  let protocol: string
  try {
    protocol = new URL(url).protocol
  } catch {
    return false
  }
  if (protocol !== 'https:' && protocol !== 'http:') return false
  void shell.openExternal(url)
  return true
}
