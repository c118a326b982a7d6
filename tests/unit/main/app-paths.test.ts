import { describe, expect, it } from 'vitest'
import { join, posix, win32 } from 'node:path'
import { appRequestPath, isRendererUrl, jobTemplatesPath, preloadPath, rendererLocation, sampleCorpusPath } from '../../../src/main/app-paths'

describe('app paths', () => {
  it('finds the sample corpus in the packaged resources folder, or in the repository while developing', () => {
    const location = { resourcesPath: '/opt/CLLM Studio/resources', appPath: '/home/me/cllm' }
    expect(sampleCorpusPath({ ...location, isPackaged: true })).toBe(join('/opt/CLLM Studio/resources', 'sample-corpus'))
    expect(sampleCorpusPath({ ...location, isPackaged: false })).toBe(join('/home/me/cllm', 'resources', 'sample-corpus'))
  })

  it('finds the job templates beside the asar, or in the repository while developing', () => {
    const location = { resourcesPath: '/opt/CLLM Studio/resources', appPath: '/home/me/cllm' }
    expect(jobTemplatesPath({ ...location, isPackaged: true })).toBe(join('/opt/CLLM Studio/resources', 'job'))
    expect(jobTemplatesPath({ ...location, isPackaged: false })).toBe(join('/home/me/cllm', 'resources', 'job'))
  })

  it('points at the CommonJS preload next to the main bundle', () => {
    expect(preloadPath('/app/out/main')).toBe(join('/app/out', 'preload', 'index.cjs'))
  })

  it('uses the dev server only when not packaged, the built files on app:// otherwise', () => {
    const devServerUrl = 'http://localhost:5173/'
    expect(rendererLocation({ mainDir: '/app/out/main', isPackaged: false, devServerUrl })).toEqual({ kind: 'url', url: devServerUrl })
    const built = { kind: 'app', root: join('/app/out', 'renderer'), url: 'app://cllm/index.html' }
    expect(rendererLocation({ mainDir: '/app/out/main', isPackaged: true, devServerUrl })).toEqual(built)
    expect(rendererLocation({ mainDir: '/app/out/main', isPackaged: false, devServerUrl: undefined })).toEqual(built)
  })

  it('recognises the page it loads on app:// and nothing else, wherever the app is installed', () => {
    // The install folder never enters the comparison: a Windows path with a lowercase drive letter,
    // spaces and a literal % gives the same page URL as any other.
    const windows = rendererLocation({ mainDir: 'c:\\Users\\Zoë\\100% sure\\CLLM Studio\\resources\\app.asar\\out\\main', isPackaged: true, devServerUrl: undefined })
    for (const renderer of [windows, rendererLocation({ mainDir: '/opt/CLLM Studio/resources/app.asar/out/main', isPackaged: true, devServerUrl: undefined })]) {
      expect(isRendererUrl('app://cllm/index.html', renderer)).toBe(true)
      expect(isRendererUrl('app://cllm/index.html#/train', renderer)).toBe(true)
      expect(isRendererUrl('APP://CLLM/index.html', renderer)).toBe(true)
      expect(isRendererUrl('app://cllm/other.html', renderer)).toBe(false)
      expect(isRendererUrl('app://evil/index.html', renderer)).toBe(false)
      expect(isRendererUrl('file:///c:/Users/Zo%C3%AB/100%25%20sure/CLLM%20Studio/resources/app.asar/out/renderer/index.html', renderer)).toBe(false)
      expect(isRendererUrl('https://cllm/index.html', renderer)).toBe(false)
      expect(isRendererUrl('not a url', renderer)).toBe(false)
    }
  })

  it('maps app:// requests to files inside the renderer folder, POSIX and Windows, with %-escapes decoded', () => {
    const root = '/opt/CLLM Studio/resources/app.asar/out/renderer'
    expect(appRequestPath('app://cllm/index.html', root, posix)).toBe(`${root}/index.html`)
    expect(appRequestPath('app://cllm/', root, posix)).toBe(`${root}/index.html`)
    expect(appRequestPath('app://cllm/assets/index-abc.js?v=1#x', root, posix)).toBe(`${root}/assets/index-abc.js`)
    expect(appRequestPath('app://cllm/assets/100%25%20done.css', root, posix)).toBe(`${root}/assets/100% done.css`)
    const winRoot = 'c:\\Users\\Zoë\\100% sure\\CLLM Studio\\resources\\app.asar\\out\\renderer'
    expect(appRequestPath('app://cllm/assets/index.js', winRoot, win32)).toBe(`${winRoot}\\assets\\index.js`)
  })

  it('refuses app:// requests that leave the renderer folder or name another host', () => {
    const root = '/app/out/renderer'
    // A literal ../ is resolved by the URL itself (to /main/index.js, inside the folder), as in Chromium.
    expect(appRequestPath('app://cllm/../main/index.js', root, posix)).toBe('/app/out/renderer/main/index.js')
    for (const url of [
      'app://cllm/assets/..%2f..%2fmain%2findex.js',
      'app://cllm/..%5c..%5cmain%5cindex.js',
      'app://cllm/%00',
      'app://cllm/%E0%A4%A',
      'app://other/index.html',
      'file:///app/out/renderer/index.html',
    ]) {
      expect(appRequestPath(url, root, posix), url).toBeUndefined()
      expect(appRequestPath(url, 'C:\\app\\out\\renderer', win32), url).toBeUndefined()
    }
    expect(appRequestPath('app://cllm/C:%5cWindows%5cwin.ini', 'C:\\app\\out\\renderer', win32)).toBeUndefined()
  })

  it('recognises the dev server by origin', () => {
    const renderer = { kind: 'url' as const, url: 'http://localhost:5173/' }
    expect(isRendererUrl('http://localhost:5173/', renderer)).toBe(true)
    expect(isRendererUrl('http://localhost:5173/src/main.ts?x=1', renderer)).toBe(true)
    expect(isRendererUrl('http://localhost:5174/', renderer)).toBe(false)
    expect(isRendererUrl('http://127.0.0.1:5173/', renderer)).toBe(false)
    expect(isRendererUrl('https://localhost:5173/', renderer)).toBe(false)
    expect(isRendererUrl('file:///app/out/renderer/index.html', renderer)).toBe(false)
    expect(isRendererUrl('app://cllm/index.html', renderer)).toBe(false)
  })
})
