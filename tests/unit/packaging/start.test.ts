/** `npm start`: Electron when it is there, else the same studio in a browser (`cllm serve`). */
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
// @ts-expect-error a plain .mjs script without type declarations
import { buildIsStale, electronBinary, NO_ELECTRON_MESSAGE, startPlan } from '../../../scripts/start.mjs'

const projectDir = resolve(import.meta.dirname, '../../..')

/**
 * A project with start.mjs and stand-ins for its build (`npm run build` writes out/) and for
 * `bin/cllm.js` (prints its arguments and the line `cllm serve` prints, then waits to be stopped):
 * the script's own behaviour, without a 40 s build or a server.
 */
async function fakeProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cllm-start-'))
  await mkdir(join(dir, 'scripts'))
  await mkdir(join(dir, 'bin'))
  await mkdir(join(dir, 'src'))
  await copyFile(join(projectDir, 'scripts', 'start.mjs'), join(dir, 'scripts', 'start.mjs'))
  await writeFile(join(dir, 'src', 'index.ts'), 'export {}\n')
  const build = "const fs=require('fs');for(const f of ['out/main/cli.js','out/main/index.js','out/renderer/index.html']){fs.mkdirSync(require('path').dirname(f),{recursive:true});fs.writeFileSync(f,'built')}console.log('BUILT')"
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fake', type: 'module', scripts: { build: `node -e "${build}"` } }))
  await writeFile(
    join(dir, 'bin', 'cllm.js'),
    "console.log('ARGS ' + process.argv.slice(2).join(' '))\nconsole.log('CLLM Studio is ready: http://127.0.0.1:1/#token=x')\nsetInterval(() => {}, 1000)\n",
  )
  return dir
}

/**
 * Runs `node scripts/start.mjs` in `dir` until the studio says it is ready, then stops it and what
 * it started (its own process group, as Ctrl+C in a terminal would).
 */
function startUntilReady(dir: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: dir, detached: true, env: { ...process.env, CLLM_NO_BROWSER: '1' } })
    let out = ''
    let stopped = false
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (!stopped && out.includes('CLLM Studio is ready:')) {
        stopped = true
        process.kill(-child.pid!, 'SIGTERM')
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', reject)
    child.on('close', () => resolvePromise(out))
  })
}

describe('npm start', () => {
  it.skipIf(Boolean((electronBinary as () => string | undefined)()))(
    'without an Electron binary, builds when out/ is stale, then starts cllm serve and prints its address',
    async () => {
      const dir = await fakeProject()
      try {
        const first = await startUntilReady(dir)
        expect(first).toContain(NO_ELECTRON_MESSAGE as string)
        expect(first).toContain('BUILT')
        expect(first).toMatch(/^ARGS serve$/m) // CLLM_NO_BROWSER: no --open
        expect(first).toMatch(/^CLLM Studio is ready: http:\/\/127\.0\.0\.1:\d+\/#token=/m)
        expect(first).not.toMatch(/\n\s+at /)
        // Built and unchanged: straight to the studio.
        const second = await startUntilReady(dir)
        expect(second).not.toContain('BUILT')
        expect(second).toMatch(/^ARGS serve$/m)
        // A source changed after the build: built again first.
        const later = new Date(Date.now() + 60_000)
        await utimes(join(dir, 'src', 'index.ts'), later, later)
        expect(await startUntilReady(dir)).toContain('BUILT')
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  )

  it('plans Electron when it is there, and the browser build (opened) when it is not', () => {
    const plan = startPlan as (o: { hasElectron: boolean; stale: boolean; openBrowser?: boolean }) => [string, string[]][]
    expect(plan({ hasElectron: true, stale: false })).toEqual([
      ['npm', ['run', 'build']],
      ['npx', ['electron-vite', 'preview', '--skipBuild']],
    ])
    expect(plan({ hasElectron: false, stale: false })).toEqual([[process.execPath, ['bin/cllm.js', 'serve', '--open']]])
    expect(plan({ hasElectron: false, stale: true }).map(([command]) => command)).toEqual(['npm', process.execPath])
  })

  it('calls out/ stale when it is missing or older than a source', async () => {
    const dir = await fakeProject()
    try {
      const isStale = buildIsStale as (dir: string) => boolean
      expect(isStale(dir)).toBe(true)
      for (const file of ['out/main/cli.js', 'out/main/index.js', 'out/renderer/index.html']) {
        await mkdir(join(dir, file, '..'), { recursive: true })
        await writeFile(join(dir, file), 'built')
      }
      const past = new Date(Date.now() - 60_000)
      await utimes(join(dir, 'src', 'index.ts'), past, past)
      await utimes(join(dir, 'src'), past, past)
      await utimes(join(dir, 'package.json'), past, past)
      expect(isStale(dir)).toBe(false)
      await writeFile(join(dir, 'src', 'new.ts'), 'export {}\n')
      expect(isStale(dir)).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('finds no binary when the electron package throws (its install script never ran)', () => {
    const fakeRequire = (() => {
      throw new Error('Electron failed to install correctly')
    }) as unknown as NodeJS.Require
    expect((electronBinary as (r: NodeJS.Require) => string | undefined)(fakeRequire)).toBeUndefined()
    const existing = (() => process.execPath) as unknown as NodeJS.Require
    expect((electronBinary as (r: NodeJS.Require) => string | undefined)(existing)).toBe(process.execPath)
  })
})
