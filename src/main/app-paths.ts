/**
 * Where the app finds its files, in development (electron-vite, run from the repository) and once
 * packaged (electron-builder). Pure functions, so both layouts are tested without Electron.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

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

/** The built preload script (CommonJS, because a sandboxed preload cannot be an ES module). */
export function preloadPath(mainDir: string): string {
  return join(mainDir, '..', 'preload', 'index.cjs')
}

/** The page the window shows: the dev server while developing, the built file otherwise. */
export type RendererLocation = { kind: 'url'; url: string } | { kind: 'file'; path: string }

export function rendererLocation(options: {
  mainDir: string
  isPackaged: boolean
  devServerUrl: string | undefined
}): RendererLocation {
  if (!options.isPackaged && options.devServerUrl) return { kind: 'url', url: options.devServerUrl }
  return { kind: 'file', path: join(options.mainDir, '..', 'renderer', 'index.html') }
}

/**
 * Whether a URL is our renderer page: same origin as the dev server, or exactly the built
 * index.html (a file:// origin is opaque, so the path itself is compared). Query and hash are free.
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
    return parsed.protocol !== 'file:' && parsed.origin === origin
  }
  return parsed.protocol === 'file:' && parsed.host === '' && parsed.pathname === pathToFileURL(renderer.path).pathname
}
