/**
 * A stand-in for the `electron` module in unit tests (`vi.mock('electron', () => import(...))`):
 * just enough of app, BrowserWindow, webContents, session, dialog, shell, Menu, ipcMain,
 * contextBridge and ipcRenderer to drive the real glue code and record what it asked Electron to do.
 * Electron itself cannot run here (no binary is downloaded on headless machines).
 */
import { EventEmitter } from 'node:events'
import { vi } from 'vitest'
import type { IpcMainLike } from '../../../src/main/ipc'

/** A navigation-like event: records preventDefault. */
export function fakeEvent<T extends object>(
  fields: T,
): T & { defaultPrevented: boolean; preventDefault(): void } {
  const event = {
    ...fields,
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true
    },
  }
  return event
}

export class FakeFrame {
  constructor(
    public url: string,
    public parent: FakeFrame | null = null,
  ) {}
}

export class FakeWebContents extends EventEmitter {
  readonly sent: Array<{ channel: string; args: unknown[] }> = []
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined
  readonly mainFrame: FakeFrame
  destroyed = false

  constructor(url = 'about:blank') {
    super()
    this.mainFrame = new FakeFrame(url)
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed')
    this.sent.push({ channel, args })
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly instances: BrowserWindow[] = []
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.instances.filter((window) => !window.destroyed)
  }

  readonly webContents = new FakeWebContents()
  visible = false
  focused = false
  minimized = false
  destroyed = false
  loaded: { url?: string; file?: string } = {}

  constructor(public readonly options: Record<string, unknown>) {
    super()
    BrowserWindow.instances.push(this)
  }
  async loadURL(url: string): Promise<void> {
    this.loaded = { url }
    this.webContents.mainFrame.url = url
  }
  async loadFile(file: string): Promise<void> {
    this.loaded = { file }
    this.webContents.mainFrame.url = new URL(`file://${file}`).href
  }
  show(): void {
    this.visible = true
  }
  focus(): void {
    this.focused = true
  }
  isMinimized(): boolean {
    return this.minimized
  }
  restore(): void {
    this.minimized = false
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  /** Like the user closing the window. */
  close(): void {
    this.destroyed = true
    this.webContents.destroyed = true
    this.emit('closed')
  }
}

type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]> },
  callback: (response: { responseHeaders?: Record<string, string | string[]> }) => void,
) => void

export class FakeSession {
  headersListener: HeadersListener | undefined
  permissionHandler:
    | ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void)
    | undefined
  readonly webRequest = {
    onHeadersReceived: (listener: HeadersListener) => {
      this.headersListener = listener
    },
  }
  permissionCheckHandler: ((...args: unknown[]) => boolean) | undefined
  setPermissionRequestHandler(handler: FakeSession['permissionHandler']): void {
    this.permissionHandler = handler
  }
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void {
    this.permissionCheckHandler = handler
  }
}
export const session = { defaultSession: new FakeSession() }

/** Electron's rule: privileged schemes are registered before ready; a scheme is handled once. */
export const protocol = {
  privileged: [] as Array<{ scheme: string; privileges?: Record<string, boolean> }>,
  handlers: new Map<string, (request: Request) => Promise<Response> | Response>(),
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges?: Record<string, boolean> }>): void {
    if (app.isReady()) throw new Error('registerSchemesAsPrivileged must be called before the app is ready')
    protocol.privileged.push(...schemes)
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response> | Response): void {
    if (protocol.handlers.has(scheme)) throw new Error(`The scheme has been registered: ${scheme}`)
    protocol.handlers.set(scheme, handler)
  },
}

export const shell = { openExternal: vi.fn(async (_url: string) => {}) }

/** What the next folder dialog answers. */
export const dialogAnswers: Array<{ canceled: boolean; filePaths: string[] }> = []
export const dialog = {
  showOpenDialog: vi.fn(
    async (..._args: unknown[]) => dialogAnswers.shift() ?? { canceled: true, filePaths: [] },
  ),
  showErrorBox: vi.fn((_title: string, _content: string) => {}),
}

export const Menu = {
  current: undefined as unknown,
  buildFromTemplate: vi.fn((template: unknown[]) => ({ template })),
  setApplicationMenu: vi.fn((menu: unknown) => {
    Menu.current = menu
  }),
}

type Handler = Parameters<IpcMainLike['handle']>[1]
export const ipcMain = {
  handlers: new Map<string, Handler>(),
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`)
    this.handlers.set(channel, handler)
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  },
  /** What Electron does when a renderer calls ipcRenderer.invoke(channel, ...args). */
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel)
    if (!handler) throw new Error(`No handler registered for '${channel}'`)
    return handler(event as Parameters<Handler>[0], ...args)
  },
}

class FakeApp extends EventEmitter {
  lockGranted = true
  isPackaged = false
  ready = false
  quitCalls = 0
  exitCodes: number[] = []
  aboutOptions: unknown
  appPath = '/repo'
  private resolveReady!: () => void
  private readyPromise!: Promise<void>

  constructor() {
    super()
    this.reset()
  }
  reset(): void {
    this.removeAllListeners()
    this.lockGranted = true
    this.isPackaged = false
    this.ready = false
    this.quitCalls = 0
    this.exitCodes = []
    this.aboutOptions = undefined
    this.appPath = '/repo'
    this.readyPromise = new Promise<void>((resolve) => {
      this.resolveReady = resolve
    })
  }

  requestSingleInstanceLock(): boolean {
    return this.lockGranted
  }
  whenReady(): Promise<void> {
    return this.readyPromise
  }
  isReady(): boolean {
    return this.ready
  }
  /** Test helper: Electron finished starting. */
  becomeReady(): void {
    this.ready = true
    this.resolveReady()
  }
  quit(): void {
    this.quitCalls++
  }
  exit(code: number): void {
    this.exitCodes.push(code)
  }
  getVersion(): string {
    return '9.9.9-test'
  }
  getAppPath(): string {
    return this.appPath
  }
  getPath(name: string): string {
    return `/fake-home/${name}`
  }
  setAboutPanelOptions(options: unknown): void {
    this.aboutOptions = options
  }
}
export const app = new FakeApp()

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld: vi.fn((key: string, api: unknown) => {
    contextBridge.exposed.set(key, api)
  }),
}

type RendererListener = (event: unknown, ...args: unknown[]) => void
class FakeIpcRenderer extends EventEmitter {
  invoke = vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => undefined)
  /** Test helper: main sent `webContents.send(channel, ...args)`. */
  deliver(channel: string, ...args: unknown[]): void {
    this.emit(channel, { sender: this }, ...args)
  }
  override on(channel: string, listener: RendererListener): this {
    return super.on(channel, listener)
  }
}
export const ipcRenderer = new FakeIpcRenderer()

/**
 * Vitest keeps a mocked module across `vi.resetModules()`, so tests that load the app entry more
 * than once start each run from a clean fake with this.
 */
export function resetFakeElectron(): void {
  app.reset()
  BrowserWindow.instances.length = 0
  session.defaultSession = new FakeSession()
  protocol.privileged.length = 0
  protocol.handlers.clear()
  shell.openExternal.mockClear()
  dialogAnswers.length = 0
  dialog.showOpenDialog.mockClear()
  dialog.showErrorBox.mockClear()
  Menu.current = undefined
  Menu.buildFromTemplate.mockClear()
  Menu.setApplicationMenu.mockClear()
  ipcMain.handlers.clear()
  contextBridge.exposed.clear()
  contextBridge.exposeInMainWorld.mockClear()
  ipcRenderer.removeAllListeners()
  ipcRenderer.invoke.mockReset()
}

export default {
  app,
  BrowserWindow,
  session,
  protocol,
  shell,
  dialog,
  Menu,
  ipcMain,
  contextBridge,
  ipcRenderer,
}
