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
  maximized = false
  destroyed = false
  loaded: { url?: string; file?: string } = {}
  /** Every setProgressBar call, in order. */
  readonly progress: Array<{ value: number; mode?: string }> = []
  bounds = { x: 0, y: 0, width: 0, height: 0 }

  constructor(public readonly options: Record<string, unknown>) {
    super()
    BrowserWindow.instances.push(this)
    const size = options as { x?: number; y?: number; width?: number; height?: number }
    this.bounds = { x: size.x ?? 100, y: size.y ?? 100, width: size.width ?? 800, height: size.height ?? 600 }
  }
  setProgressBar(value: number, options?: { mode?: string }): void {
    this.progress.push(options?.mode ? { value, mode: options.mode } : { value })
  }
  maximize(): void {
    this.maximized = true
  }
  isMaximized(): boolean {
    return this.maximized
  }
  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    return { ...this.bounds }
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
    this.emit('close', { preventDefault() {} })
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

/** powerSaveBlocker: ids handed out, and which are still started. */
export const powerSaveBlocker = {
  nextId: 1,
  started: new Map<number, string>(),
  history: [] as Array<{ action: 'start' | 'stop'; id: number; type?: string }>,
  start(type: string): number {
    const id = powerSaveBlocker.nextId++
    powerSaveBlocker.started.set(id, type)
    powerSaveBlocker.history.push({ action: 'start', id, type })
    return id
  },
  stop(id: number): boolean {
    powerSaveBlocker.history.push({ action: 'stop', id })
    return powerSaveBlocker.started.delete(id)
  },
  isStarted(id: number): boolean {
    return powerSaveBlocker.started.has(id)
  },
}

/** A system notification: records what was shown; tests click it. */
export class Notification extends EventEmitter {
  static supported = true
  static readonly shown: Notification[] = []
  static isSupported(): boolean {
    return Notification.supported
  }
  constructor(public readonly options: { title: string; body?: string }) {
    super()
  }
  show(): void {
    Notification.shown.push(this)
  }
}

export const nativeTheme = Object.assign(new EventEmitter(), {
  themeSource: 'light' as 'system' | 'light' | 'dark',
  shouldUseDarkColors: false,
})

/** One 1920×1080 display unless a test says otherwise. */
export const screen = {
  displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }],
  getAllDisplays() {
    return screen.displays
  },
}

export const webUtils = {
  getPathForFile: vi.fn((file: { path?: string }) => file.path ?? ''),
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
  listeners: new Map<string, Array<(event: unknown, ...args: unknown[]) => void>>(),
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void {
    ipcMain.listeners.set(channel, [...(ipcMain.listeners.get(channel) ?? []), listener])
  },
  /** What Electron does when a renderer calls ipcRenderer.send(channel, ...args). */
  send(channel: string, event: unknown, ...args: unknown[]): void {
    for (const listener of ipcMain.listeners.get(channel) ?? []) listener(event, ...args)
  },
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
  /** How often the app asked to be told when Electron is ready (what any start waits on). */
  whenReadyCalls = 0
  exitCodes: number[] = []
  aboutOptions: unknown
  appPath = '/repo'
  userData = '/fake-home/userData'
  recentDocuments: string[] = []
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
    this.whenReadyCalls = 0
    this.exitCodes = []
    this.aboutOptions = undefined
    this.appPath = '/repo'
    this.userData = '/fake-home/userData'
    this.recentDocuments = []
    // A test may replace a method on the instance (a failing getAppPath): back to the class's own.
    for (const name of Object.getOwnPropertyNames(FakeApp.prototype)) {
      if (name !== 'constructor' && Object.hasOwn(this, name)) Reflect.deleteProperty(this, name)
    }
    this.readyPromise = new Promise<void>((resolve) => {
      this.resolveReady = resolve
    })
  }

  requestSingleInstanceLock(): boolean {
    return this.lockGranted
  }
  whenReady(): Promise<void> {
    this.whenReadyCalls++
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
    return name === 'userData' ? this.userData : `/fake-home/${name}`
  }
  addRecentDocument(path: string): void {
    this.recentDocuments.push(path)
  }
  clearRecentDocuments(): void {
    this.recentDocuments = []
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
  send = vi.fn((_channel: string, ..._args: unknown[]): void => {})
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
  ipcMain.listeners.clear()
  powerSaveBlocker.started.clear()
  powerSaveBlocker.history.length = 0
  Notification.supported = true
  Notification.shown.length = 0
  nativeTheme.themeSource = 'light'
  nativeTheme.shouldUseDarkColors = false
  screen.displays = [{ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }]
  contextBridge.exposed.clear()
  contextBridge.exposeInMainWorld.mockClear()
  ipcRenderer.removeAllListeners()
  ipcRenderer.invoke.mockReset()
  ipcRenderer.send.mockReset()
}

export default {
  app,
  BrowserWindow,
  session,
  protocol,
  powerSaveBlocker,
  Notification,
  nativeTheme,
  screen,
  webUtils,
  shell,
  dialog,
  Menu,
  ipcMain,
  contextBridge,
  ipcRenderer,
}
