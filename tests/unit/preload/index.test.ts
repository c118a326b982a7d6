import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { CllmApi } from '../../../src/shared/contract'

vi.mock('electron', () => import('../main/fake-electron'))

const fake = await import('../main/fake-electron')
// The preload listens for drops on the page's window (a DOM EventTarget in Electron).
const page = new EventTarget()
const dropListeners: Array<(event: unknown) => void> = []
vi.stubGlobal('addEventListener', (type: string, listener: (event: unknown) => void) => {
  page.addEventListener(type, listener as (event: Event) => void)
  if (type === 'drop') dropListeners.push(listener)
})
await import('../../../src/preload/index')
const { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } = await import('../../../src/shared/ipc-channels')

const api = fake.contextBridge.exposed.get('cllm') as CllmApi

describe('preload', () => {
  beforeEach(() => fake.ipcRenderer.invoke.mockReset())

  it('exposes exactly window.cllm with call and on, and no ipcRenderer', () => {
    expect(fake.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1)
    expect([...fake.contextBridge.exposed.keys()]).toEqual(['cllm'])
    expect(Object.keys(api).sort()).toEqual(['call', 'on'])
    expect(Object.values(api).every((value) => typeof value === 'function')).toBe(true)
    expect(Object.values(api)).not.toContain(fake.ipcRenderer)
  })

  it('sends contract methods over the one call channel and returns main’s answer', async () => {
    fake.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: { folder: null } })
    await expect(api.call('corpus.pickFolder', {})).resolves.toEqual({ ok: true, value: { folder: null } })
    expect(fake.ipcRenderer.invoke).toHaveBeenCalledWith(IPC_CALL_CHANNEL, 'corpus.pickFolder', {})
  })

  it('refuses unknown methods without touching IPC', async () => {
    const call = api.call as (method: string, input: unknown) => Promise<unknown>
    await expect(call('fs.readFile', { path: '/etc/passwd' })).resolves.toEqual({
      ok: false,
      error: { code: 'unknown-method', message: 'Unknown method: fs.readFile' },
    })
    await expect(call('hasOwnProperty', {})).resolves.toMatchObject({ ok: false })
    expect(fake.ipcRenderer.invoke).not.toHaveBeenCalled()
  })

  it('refuses unknown events and non-function listeners', () => {
    const on = api.on as (event: string, listener: unknown) => () => void
    expect(() => on('ipc.anything', () => {})).toThrow('Unknown event: ipc.anything')
    expect(() => on('corpus.progress', 'not a function')).toThrow(/must be a function/)
    expect(fake.ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(0)
  })

  it('delivers each event only to the listeners of that event, until they unsubscribe', () => {
    const progress: unknown[] = []
    const picked: unknown[] = []
    const offProgress = api.on('corpus.progress', (payload) => progress.push(payload))
    const offPicked = api.on('app.folderPicked', (payload) => picked.push(payload))
    expect(fake.ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(1)

    const step = { scanId: 's', filesSeen: 1, filesAccepted: 1, bytesRead: 5, currentPath: 'a.txt' }
    fake.ipcRenderer.deliver(IPC_EVENT_CHANNEL, { event: 'corpus.progress', payload: step })
    fake.ipcRenderer.deliver(IPC_EVENT_CHANNEL, { event: 'app.folderPicked', payload: { folder: '/home/me' } })
    fake.ipcRenderer.deliver(IPC_EVENT_CHANNEL, { event: 'something.else', payload: 1 })
    fake.ipcRenderer.deliver(IPC_EVENT_CHANNEL, null)
    expect(progress).toEqual([step])
    expect(picked).toEqual([{ folder: '/home/me' }])

    offProgress()
    offProgress()
    fake.ipcRenderer.deliver(IPC_EVENT_CHANNEL, { event: 'corpus.progress', payload: step })
    expect(progress).toHaveLength(1)
    expect(fake.ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(1)
    offPicked()
    expect(fake.ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(0)
  })

  it('keeps two subscriptions of the same function independent', () => {
    const seen: unknown[] = []
    const listener = (payload: unknown) => seen.push(payload)
    const first = api.on('app.folderPicked', listener)
    const second = api.on('app.folderPicked', listener)
    first()
    fake.ipcRenderer.deliver(IPC_EVENT_CHANNEL, { event: 'app.folderPicked', payload: { folder: '/a' } })
    expect(seen).toEqual([{ folder: '/a' }])
    second()
  })
})

describe('preload: dropped folders', () => {
  it('passes a trusted drop’s path from webUtils to main on the drop channel', async () => {
    const { IPC_DROP_CHANNEL } = await import('../../../src/shared/ipc-channels')
    const drop = new Event('drop') as Event & { dataTransfer: unknown }
    drop.dataTransfer = { files: [{ path: '/home/me/notes' }] }
    // Events dispatched by a script are untrusted: nothing is sent.
    page.dispatchEvent(drop)
    expect(fake.ipcRenderer.send).not.toHaveBeenCalled()
    const trusted = { type: 'drop', isTrusted: true, dataTransfer: { files: [{ path: '/home/me/notes' }] }, preventDefault() {} }
    for (const listener of dropListeners) listener(trusted)
    expect(fake.webUtils.getPathForFile).toHaveBeenCalledWith({ path: '/home/me/notes' })
    expect(fake.ipcRenderer.send).toHaveBeenCalledWith(IPC_DROP_CHANNEL, '/home/me/notes')
  })
})
