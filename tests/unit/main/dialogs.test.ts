import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => import('./fake-electron'))

const fake = await import('./fake-electron')
const { createFolderPicker, showStartupError } = await import('../../../src/main/dialogs')
const { ReadAccess } = await import('../../../src/main/read-access')

describe('folder dialog', () => {
  beforeEach(() => {
    fake.dialog.showOpenDialog.mockClear()
    fake.dialogAnswers.length = 0
  })

  it('returns the chosen folder and makes it (and only it) readable', async () => {
    const access = new ReadAccess()
    const window = new fake.BrowserWindow({})
    const pick = createFolderPicker(() => window as never, access)
    fake.dialogAnswers.push({ canceled: false, filePaths: ['/home/me/notes'] })
    await expect(pick()).resolves.toBe('/home/me/notes')
    expect(access.mayRead('/home/me/notes/drafts')).toBe(true)
    expect(access.mayRead('/home/me')).toBe(false)
    const [parent, options] = fake.dialog.showOpenDialog.mock.calls[0] as [unknown, { properties: string[] }]
    expect(parent).toBe(window)
    expect(options.properties).toEqual(['openDirectory'])
  })

  it('returns null and allows nothing when the user cancels', async () => {
    const access = new ReadAccess()
    const pick = createFolderPicker(() => undefined, access)
    fake.dialogAnswers.push({ canceled: true, filePaths: ['/home/me/notes'] })
    await expect(pick()).resolves.toBeNull()
    expect(access.mayRead('/home/me/notes')).toBe(false)
    // Without a window the dialog is shown unparented.
    expect(fake.dialog.showOpenDialog.mock.calls[0]).toHaveLength(1)
  })

  it('reports a start-up failure in a message box, without a stack', () => {
    showStartupError(new Error('The sample corpus is missing.'))
    expect(fake.dialog.showErrorBox).toHaveBeenCalledWith('CLLM Studio could not start', 'The sample corpus is missing.')
  })
})
