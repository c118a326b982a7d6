/**
 * Files that Node's own loader opens — the worker entries, the chunks they import, the WebAssembly
 * kernels — must be real files. In a packaged app the code asking for them sits inside `app.asar`,
 * and electron-builder unpacks exactly those files (`asarUnpack` in electron-builder.yml) into
 * `app.asar.unpacked` beside it. Paths are mapped there explicitly, instead of relying on Electron's
 * asar redirection, which worker threads and the ESM loader do not promise. Outside a package
 * (development, tests, the CLI) paths are returned unchanged. Pure: no Electron import.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The first `app.asar` folder segment of a path, with the separator on each side. */
const ASAR_SEGMENT = /([\\/])app\.asar(?=[\\/])/

/** `…/resources/app.asar/out/main/x.js` → `…/resources/app.asar.unpacked/out/main/x.js`; other paths unchanged. */
export function unpackedPath(path: string): string {
  return path.replace(ASAR_SEGMENT, '$1app.asar.unpacked')
}

/**
 * The built file `name` (a bundle entry such as `sphere-worker.js`) for the module at `from` (a
 * file: URL or path): next to it, or one folder up when that module was bundled into a shared
 * chunk in `chunks/`. Unpacked when packaged; undefined when the build has no such file.
 */
export function builtFileNear(name: string, from: string): string | undefined {
  const dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from)
  for (const candidate of [join(dir, name), join(dir, '..', name)]) {
    const path = unpackedPath(candidate)
    if (existsSync(path)) return path
  }
  return undefined
}
