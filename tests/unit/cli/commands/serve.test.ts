import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { findSampleCorpus, startServe } from '../../../../src/cli/commands/serve'
import type { RunningServer } from '../../../../src/main/server/ws-server'
import { UserError } from '../../../../src/shared/errors'
import { connect } from '../../main/server/ws-test-client'

let dir: string
let rendererDir: string
let root: string
let sample: string
let outside: string
let running: RunningServer | undefined

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-serve-'))
  rendererDir = join(dir, 'renderer')
  await mkdir(rendererDir)
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>studio</title>')
  for (const name of ['root', 'sample', 'outside']) {
    await mkdir(join(dir, name))
    await writeFile(join(dir, name, 'text.txt'), `words in ${name}\n`)
  }
  root = join(dir, 'root')
  sample = join(dir, 'sample')
  outside = join(dir, 'outside')
})
afterEach(async () => {
  await running?.close()
  running = undefined
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('cllm serve', () => {
  it('prints the address with its token and the root, and serves the UI', async () => {
    const lines: string[] = []
    running = await startServe(
      { host: '127.0.0.1', port: 0, root: [root], rendererDir, sampleCorpus: sample },
      (line) => lines.push(line),
    )
    expect(lines[0]).toBe(
      `CLLM Studio is ready: http://127.0.0.1:${running.port}/#token=${running.token}`,
    )
    expect(lines.join('\n')).toContain(root)
    expect(lines.join('\n')).not.toContain('Warning')
    expect(await (await fetch(running.url)).text()).toContain('<title>studio</title>')
  })

  it('lets the UI read the roots and the sample corpus, nothing else', async () => {
    running = await startServe(
      { host: '127.0.0.1', port: 0, root: [root], rendererDir, sampleCorpus: sample },
      () => {},
    )
    const client = connect(`ws://127.0.0.1:${running.port}/api`, { token: running.token })
    await client.next()
    expect(await client.request('app.info', {})).toMatchObject({
      ok: true,
      value: { sampleCorpus: sample },
    })
    expect(await client.request('corpus.scan', { folder: root })).toMatchObject({
      ok: true,
      value: { totals: { files: 1 } },
    })
    expect(await client.request('corpus.scan', { folder: sample })).toMatchObject({ ok: true })
    expect(await client.request('corpus.scan', { folder: outside })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    client.ws.close()
  })

  it('writes runs to --checkpoint-dir and lists checkpoints from there', async () => {
    const checkpointDir = join(dir, 'runs')
    const lines: string[] = []
    running = await startServe(
      {
        host: '127.0.0.1',
        port: 0,
        root: [root],
        rendererDir,
        sampleCorpus: sample,
        checkpointDir,
      },
      (line) => lines.push(line),
    )
    expect(lines).toContain(`Runs are saved in: ${checkpointDir}`)
    const client = connect(`ws://127.0.0.1:${running.port}/api`, { token: running.token })
    await client.next()
    expect(await client.request('app.info', {})).toMatchObject({
      ok: true,
      value: { checkpointDir },
    })
    expect(await client.request('checkpoints.list', {})).toMatchObject({
      ok: true,
      value: { dir: checkpointDir, runs: [] },
    })
    client.ws.close()
  })

  it('warns when it listens beyond this machine', async () => {
    const lines: string[] = []
    running = await startServe(
      { host: '0.0.0.0', port: 0, root: [root], rendererDir, sampleCorpus: sample },
      (line) => lines.push(line),
    )
    expect(lines.find((line) => line.startsWith('Warning'))).toContain('0.0.0.0')
  })

  it('refuses a missing UI build or root with a clear user error', async () => {
    const options = { host: '127.0.0.1', port: 0, sampleCorpus: sample }
    await expect(
      startServe({ ...options, root: [root], rendererDir: join(dir, 'nothing') }, () => {}),
    ).rejects.toThrow(/npm run build/)
    const missingRoot = startServe(
      { ...options, root: [join(dir, 'missing')], rendererDir },
      () => {},
    )
    await expect(missingRoot).rejects.toBeInstanceOf(UserError)
    await expect(missingRoot).rejects.toThrow(join(dir, 'missing'))
    await expect(
      startServe({ ...options, root: [join(root, 'text.txt')], rendererDir }, () => {}),
    ).rejects.toThrow(/not a folder/)
  })

  it('says so when the port is taken or the host is not this machine', async () => {
    running = await startServe(
      { host: '127.0.0.1', port: 0, root: [root], rendererDir, sampleCorpus: sample },
      () => {},
    )
    const options = { root: [root], rendererDir, sampleCorpus: sample }
    const taken = startServe({ ...options, host: '127.0.0.1', port: running.port }, () => {})
    await expect(taken).rejects.toBeInstanceOf(UserError)
    await expect(taken).rejects.toThrow(`Port ${running.port} on 127.0.0.1 is already in use`)
    await expect(
      startServe({ ...options, host: '203.0.113.7', port: 0 }, () => {}),
    ).rejects.toThrow(/not an address of this machine/)
  })

  it('finds the sample corpus by walking up from where it runs', async () => {
    await mkdir(join(dir, 'pkg', 'resources', 'sample-corpus'), { recursive: true })
    await mkdir(join(dir, 'pkg', 'out', 'main'), { recursive: true })
    expect(findSampleCorpus(join(dir, 'pkg', 'out', 'main'))).toBe(
      join(dir, 'pkg', 'resources', 'sample-corpus'),
    )
  })
})
