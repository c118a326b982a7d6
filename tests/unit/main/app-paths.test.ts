import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { isRendererUrl, preloadPath, rendererLocation, sampleCorpusPath } from '../../../src/main/app-paths'

describe('app paths', () => {
  it('finds the sample corpus in the packaged resources folder, or in the repository while developing', () => {
    const location = { resourcesPath: '/opt/CLLM Studio/resources', appPath: '/home/me/cllm' }
    expect(sampleCorpusPath({ ...location, isPackaged: true })).toBe(join('/opt/CLLM Studio/resources', 'sample-corpus'))
    expect(sampleCorpusPath({ ...location, isPackaged: false })).toBe(join('/home/me/cllm', 'resources', 'sample-corpus'))
  })

  it('points at the CommonJS preload next to the main bundle', () => {
    expect(preloadPath('/app/out/main')).toBe(join('/app/out', 'preload', 'index.cjs'))
  })

  it('uses the dev server only when not packaged', () => {
    const devServerUrl = 'http://localhost:5173/'
    expect(rendererLocation({ mainDir: '/app/out/main', isPackaged: false, devServerUrl })).toEqual({ kind: 'url', url: devServerUrl })
    const file = { kind: 'file', path: join('/app/out', 'renderer', 'index.html') }
    expect(rendererLocation({ mainDir: '/app/out/main', isPackaged: true, devServerUrl })).toEqual(file)
    expect(rendererLocation({ mainDir: '/app/out/main', isPackaged: false, devServerUrl: undefined })).toEqual(file)
  })

  it('recognises the built renderer page and nothing else on file://', () => {
    const renderer = { kind: 'file' as const, path: '/app/out/renderer/index.html' }
    const page = pathToFileURL(renderer.path).href
    expect(isRendererUrl(page, renderer)).toBe(true)
    expect(isRendererUrl(`${page}#/data`, renderer)).toBe(true)
    expect(isRendererUrl('file:///app/out/renderer/other.html', renderer)).toBe(false)
    expect(isRendererUrl('file:///etc/passwd', renderer)).toBe(false)
    expect(isRendererUrl('https://example.com/app/out/renderer/index.html', renderer)).toBe(false)
    expect(isRendererUrl('not a url', renderer)).toBe(false)
  })

  it('recognises the dev server by origin', () => {
    const renderer = { kind: 'url' as const, url: 'http://localhost:5173/' }
    expect(isRendererUrl('http://localhost:5173/', renderer)).toBe(true)
    expect(isRendererUrl('http://localhost:5173/src/main.ts?x=1', renderer)).toBe(true)
    expect(isRendererUrl('http://localhost:5174/', renderer)).toBe(false)
    expect(isRendererUrl('http://127.0.0.1:5173/', renderer)).toBe(false)
    expect(isRendererUrl('https://localhost:5173/', renderer)).toBe(false)
    expect(isRendererUrl('file:///app/out/renderer/index.html', renderer)).toBe(false)
  })
})
