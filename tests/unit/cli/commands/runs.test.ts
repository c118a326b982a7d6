/**
 * `cllm runs import`: through the same `main` the binary runs — a run folder from elsewhere is
 * imported and listed; a refused one ends with one `Error: …` line, exit code 2, nothing copied.
 */
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../../../src/cli/main'
import { appendMetrics, finalModelPath, saveCheckpoint, writeRunJson } from '../../../../src/main/engine/checkpoints'
import { makeCheckpoint, tempDir, TINY } from '../../main/engine/checkpoints/fixtures'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(async () => {
  vi.restoreAllMocks()
  await cleanup()
})

async function cllm(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true))
  try {
    return { code: await main(['node', 'cllm', ...args]), out, err }
  } finally {
    vi.restoreAllMocks()
    process.exitCode = undefined
  }
}

/** A run folder as a job writes it: run.json, metrics, the final model; trained on a GPU box. */
async function jobRun(): Promise<string> {
  const runDir = join(dir, 'gpu-box', 'out')
  await mkdir(runDir, { recursive: true })
  const checkpoint = makeCheckpoint(TINY, { step: 12 })
  await writeRunJson(runDir, {
    name: 'out',
    created: '2026-12-06T10:00:00.000Z',
    config: checkpoint.metadata.config,
    corpusFingerprint: 'sha256:abc',
    parent: null,
    trainedOn: { host: 'gpu-node-7', device: 'cuda', worldSize: 4 },
    ended: { reason: 'completed', step: 12, at: '2026-12-06T10:05:00.000Z' },
  })
  await appendMetrics(runDir, [{ step: 12, loss: 4.5, lr: 0.001, tokens_per_s: 1e6, time: '2026-12-06T10:05:00.000Z' }])
  await saveCheckpoint(finalModelPath(runDir), checkpoint)
  return runDir
}

describe('cllm runs import', () => {
  it('imports a run folder, lists what it copied and where it was trained, and cllm checkpoints lists it', async () => {
    const source = await jobRun()
    const checkpoints = join(dir, 'checkpoints')
    const result = await cllm(['runs', 'import', source, '--checkpoint-dir', checkpoints])
    expect(result.err).toBe('')
    expect(result.code).toBe(0)
    expect(result.out).toContain(`Imported ${source} (trained on gpu-node-7, cuda, 4 processes) as ${join(checkpoints, 'out')}:`)
    expect(result.out).toMatch(/^ {2}final_model\.safetensors +\d/m)
    expect(result.out).toMatch(/1 checkpoint, up to step 12\. Resume, generate, evaluate or export it like any run\./)
    const listed = await cllm(['checkpoints', checkpoints])
    expect(listed.out).toMatch(/^out {2}\(created/m)
    expect(listed.out).toMatch(/done · 12 steps/)
  })

  it('refuses a folder with a link in one Error: line, exit code 2, copying nothing', async () => {
    const source = await jobRun()
    await symlink('/etc/hostname', join(source, 'notes.json'))
    const checkpoints = join(dir, 'checkpoints')
    const result = await cllm(['runs', 'import', source, '--checkpoint-dir', checkpoints])
    expect(result.code).toBe(2)
    expect(result.err).toBe(`Error: Not imported: notes.json is a symbolic link. Nothing was copied from ${source}.\n`)
    expect(await readdir(checkpoints).catch(() => [])).toEqual([])
  })

  it('prints the result as JSON with --json, and refuses a link named as the run folder', async () => {
    const source = await jobRun()
    const checkpoints = join(dir, 'checkpoints')
    const result = await cllm(['runs', 'import', source, '--checkpoint-dir', checkpoints, '--json'])
    expect(result.code).toBe(0)
    const json = JSON.parse(result.out) as { runDir: string; imported: { trainedOn: unknown }; warnings: string[] }
    expect(json.runDir).toBe(join(checkpoints, 'out'))
    expect(json.imported.trainedOn).toEqual({ host: 'gpu-node-7', device: 'cuda', worldSize: 4 })
    const link = join(dir, 'link-to-run')
    await symlink(source, link)
    const refused = await cllm(['runs', 'import', link, '--checkpoint-dir', checkpoints])
    expect(refused.code).toBe(2)
    expect(refused.err).toBe(`Error: Not imported: ${link} is a symbolic link; name the run folder itself. Nothing was copied from ${link}.\n`)
    expect(await readdir(checkpoints)).toEqual(['.import', 'out'])
  })

  it('says in one line what is wrong with a missing folder, a file, or no folder at all', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, 'x')
    for (const args of [['runs', '--lr', '3'], ['runs', '-z'], ['runs', 'bogus'], ['runs', 'import', join(dir, 'nope')], ['runs', 'import', file], ['runs', 'import'], ['runs', 'import', dir, '--bogus']]) {
      const result = await cllm(args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.err.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(result.err).toMatch(/^Error: \S/)
    }
  })
})
