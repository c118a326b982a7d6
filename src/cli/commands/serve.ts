/**
 * `cllm serve`: runs the engine here and serves the studio UI to a browser over the WebSocket
 * transport. Prints the address with its access token; the UI may read folders under --root only,
 * and its runs go to --checkpoint-dir.
 */
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvalidArgumentError, type Command } from 'commander'
import { createEngineApi } from '../../main/engine/api/engine-api'
import { createFolderPolicy } from '../../main/server/folder-policy'
import { isLoopbackHost } from '../../main/server/access'
import { startServer, type RunningServer } from '../../main/server/ws-server'
import { UserError } from '../../shared/errors'

export interface ServeOptions {
  host: string
  port: number
  /** Folders the UI may read; empty means the user's home folder. */
  root: string[]
  open?: boolean
  rendererDir?: string
  sampleCorpus?: string
  /** Where runs started from the UI are written and where its Checkpoints view looks (default ./checkpoints). */
  checkpointDir?: string
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve the studio to a web browser, with the engine running on this machine.')
    .option('--host <host>', 'network interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 0)
    .option(
      '--root <folder>',
      'a folder the UI may read, with everything below it (repeatable; default: your home folder)',
      collect,
      [],
    )
    .option(
      '--checkpoint-dir <dir>',
      'where runs are written and checkpoints are listed from',
      './checkpoints',
    )
    .option('--open', 'open the address in the default browser')
    .option('--renderer-dir <folder>', 'the built UI to serve (default: the one next to this CLI)')
    .action(async (options: ServeOptions) => {
      const server = await startServe(options, (line) => process.stdout.write(`${line}\n`))
      await untilInterrupted()
      process.stdout.write('Stopping…\n')
      await server.close()
    })
}

/** Starts the server and prints where to find it. Resolves once it listens; the caller closes it. */
export async function startServe(
  options: ServeOptions,
  print: (line: string) => void,
): Promise<RunningServer> {
  const rendererDir = resolve(
    options.rendererDir ?? fileURLToPath(new URL('../renderer/', import.meta.url)),
  )
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new UserError(
      'not-found',
      `The UI is not built (no index.html in ${rendererDir}): run \`npm run build\` first.`,
    )
  }
  const roots = (options.root.length ? options.root : [homedir()]).map((root) => resolve(root))
  for (const root of roots) assertFolder(root)
  const sampleCorpus = resolve(options.sampleCorpus ?? findSampleCorpus())
  const checkpointDir = resolve(options.checkpointDir ?? './checkpoints')

  const api = createEngineApi({
    transport: 'websocket',
    version: __APP_VERSION__,
    sampleCorpus,
    checkpointDir,
    mayRead: createFolderPolicy([...roots, sampleCorpus]),
    readableRoots: roots,
  })
  const server = await startServer({
    host: options.host,
    port: options.port,
    rendererDir,
    api,
  }).catch((error: unknown) => {
    throw listenError(error, options.host, options.port)
  })

  print(`CLLM Studio is ready: ${server.openUrl}`)
  print(`The UI may read folders under: ${roots.join(', ')}`)
  print(`Runs are saved in: ${checkpointDir}`)
  if (!isLoopbackHost(options.host)) {
    print(
      `Warning: listening on ${options.host}, not only on this machine. Anyone who can reach it and has the address ` +
        'above can read those folders, and the traffic is not encrypted.',
    )
  }
  print('Press Ctrl+C to stop.')
  if (options.open) openInBrowser(server.openUrl, print)
  return server
}

/** resources/sample-corpus of the repository or package this file runs from (source or bundle). */
export function findSampleCorpus(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'resources', 'sample-corpus')
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) return join(start, '..', '..', 'resources', 'sample-corpus')
  }
}

function assertFolder(folder: string): void {
  let isFolder: boolean
  try {
    isFolder = statSync(folder).isDirectory()
  } catch {
    throw new UserError('not-found', `The root folder ${folder} does not exist.`)
  }
  if (!isFolder) throw new UserError('not-a-folder', `The root ${folder} is a file, not a folder.`)
}

/** The few ways listening fails, said in the user's terms. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE')
    return new UserError(
      'busy',
      `Port ${port} on ${host} is already in use: choose another with --port, or 0 for any free one.`,
    )
  if (code === 'EACCES')
    return new UserError(
      'forbidden',
      `Not allowed to listen on port ${port}: choose a port above 1023.`,
    )
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new UserError(
      'invalid-input',
      `${host} is not an address of this machine: use --host 127.0.0.1, or 0.0.0.0 for every interface.`,
    )
  }
  return error
}

function parsePort(value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('The port must be a whole number from 0 to 65535.')
  }
  return port
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolvePromise) => {
    process.once('SIGINT', () => resolvePromise())
    process.once('SIGTERM', () => resolvePromise())
  })
}

function openInBrowser(url: string, print: (line: string) => void): void {
  // A Linux machine without a display (a server, CI) has no browser to open.
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    print('No display here to open a browser on: open the address above in a browser that can reach this machine.')
    return
  }
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]]
  const child = spawn(command, args, { detached: true, stdio: 'ignore' })
  child.on('error', () => print('Could not open a browser; open the address above yourself.'))
  child.unref()
}
