/**
 * Where the app finds its files, in development (electron-vite, run from the repository) and once
 * packaged (electron-builder). Pure functions, so both layouts are tested without Electron.
 */
import path, { join } from 'node:path'

export interface AppLocation {
  /** `app.isPackaged` */
  isPackaged: boolean
  /** `process.resourcesPath`: the packaged app's resources folder (extraResources land there). */
  resourcesPath: string
  /** `app.getAppPath()`: the repository root in development. */
  appPath: string
}

/** The bundled sample corpus: copied by electron-builder's extraResources, or the repository's copy. */
export function sampleCorpusPath(location: AppLocation): string {
  return location.isPackaged
    ? join(location.resourcesPath, 'sample-corpus')
    : join(location.appPath, 'resources', 'sample-corpus')
}

/** The job templates (train.py and its helpers, src/main/engine/interchange/job): beside the asar, or the repository's. */
export function jobTemplatesPath(location: AppLocation): string {
  return location.isPackaged ? join(location.resourcesPath, 'job') : join(location.appPath, 'resources', 'job')
}

/** The built preload script (CommonJS, because a sandboxed preload cannot be an ES module). */
export function preloadPath(mainDir: string): string {
  return join(mainDir, '..', 'preload', 'index.cjs')
}

/**
 * The built renderer is served from `app://cllm/` by src/main/app-protocol.ts, not loaded from
 * file://: the packaged executable turns off the GrantFileProtocolExtraPrivileges fuse, so a file://
 * page would be treated as in a browser (no ES module scripts), and an app:// URL is the same on
 * every platform and install folder (no drive letters or %-escapes to compare).
 */
export const APP_SCHEME = 'app'
export const APP_HOST = 'cllm'
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/** The page the window shows: the dev server while developing, the built files through app:// otherwise. */
export type RendererLocation = { kind: 'url'; url: string } | { kind: 'app'; root: string; url: string }

export function rendererLocation(options: {
  mainDir: string
  isPackaged: boolean
  devServerUrl: string | undefined
}): RendererLocation {
  if (!options.isPackaged && options.devServerUrl) return { kind: 'url', url: options.devServerUrl }
  return { kind: 'app', root: join(options.mainDir, '..', 'renderer'), url: APP_PAGE_URL }
}

/**
 * Whether a URL is our renderer page: same origin as the dev server, or exactly the page we load
 * on app:// (query and hash are free). Compared as parsed URLs, never as paths on disk.
 */
export function isRendererUrl(url: string, renderer: RendererLocation): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (renderer.kind === 'url') {
    const origin = new URL(renderer.url).origin
    return parsed.protocol !== 'file:' && parsed.protocol !== `${APP_SCHEME}:` && parsed.origin === origin
  }
  const page = new URL(renderer.url)
  // Chromium lower-cases a standard scheme's host; Node's URL keeps a custom scheme's host as written.
  return parsed.protocol === page.protocol && parsed.host.toLowerCase() === page.host && parsed.pathname === page.pathname
}

/**
 * The file an app:// request names inside the renderer folder, or undefined for anything else
 * (another host, a path escaping the folder, a malformed escape). `platformPath` is node:path's
 * `posix` or `win32`, so both layouts are tested on any machine.
 */
export function appRequestPath(
  url: string,
  root: string,
  platformPath: typeof import('node:path') = path,
): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host.toLowerCase() !== APP_HOST) return undefined
  let relative: string
  try {
    relative = decodeURIComponent(parsed.pathname)
  } catch {
    return undefined
  }
  if (relative === '/' || relative === '') relative = '/index.html'
  // Segments only: a decoded separator or NUL inside a segment, or a '..', is refused.
  const segments = relative.split('/').filter((segment) => segment !== '')
  if (segments.some((segment) => segment === '..' || segment === '.' || /[\\\0:]/.test(segment))) return undefined
  const file = platformPath.join(root, ...segments)
  const inside = platformPath.relative(root, file)
  if (inside === '' || inside.startsWith('..') || platformPath.isAbsolute(inside)) return undefined
  return file
}
