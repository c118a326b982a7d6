import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { listCheckpoints, printHistory, register } from '../../../../src/cli/commands/checkpoints'
import type { RunEntry } from '../../../../src/shared/checkpoint'
import {
  appendMetrics,
  checkpointPath,
  createRunDir,
  finalModelPath,
  listRuns,
  saveCheckpoint,
  writeRunJson,
} from '../../../../src/main/engine/checkpoints'
import type { ModelConfig } from '../../../../src/main/engine/model/trainer'
import { UserError } from '../../../../src/shared/errors'
import { makeCheckpoint, tempDir } from '../../main/engine/checkpoints/fixtures'

const SMALL: ModelConfig = { vocabSize: 64, seqLen: 4, dModel: 8, nLayers: 1, nHeads: 2 }

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(async () => {
  vi.restoreAllMocks()
  await cleanup()
})

async function makeRun(): Promise<string> {
  const runDir = await createRunDir(dir, 'run-a')
  await writeRunJson(runDir, {
    name: 'run-a',
    created: '2026-11-27T11:07:00.000Z',
    config: { model: SMALL },
    corpusFingerprint: 'sha256:abc',
  })
  await saveCheckpoint(
    checkpointPath(runDir, 10),
    makeCheckpoint(SMALL, { step: 10, valLoss: 3.25 }),
  )
  await saveCheckpoint(
    checkpointPath(runDir, 20),
    makeCheckpoint(SMALL, { step: 20, valLoss: 2.75 }),
  )
  await saveCheckpoint(finalModelPath(runDir), makeCheckpoint(SMALL, { step: 25, valLoss: 2.875 }))
  await writeFile(checkpointPath(runDir, 30), 'torn')
  return runDir
}

describe('cllm checkpoints', () => {
  it('prints a table of each run’s checkpoints with the best marked and unusable files explained', async () => {
    await makeRun()
    const lines: string[] = []
    await listCheckpoints(dir, {}, (line) => lines.push(line))
    const text = lines.join('\n')

    expect(lines[0]).toBe(`Checkpoints in ${dir}`)
    expect(text).toMatch(
      /^run-a {2}\(created \d{4}-\d\d-\d\d \d\d:\d\d; vocab 64, embed 8, 1 layer, 2 heads, seq 4\)$/m,
    )
    const header = lines.find((l) => l.includes('checkpoint ') && l.includes('val loss'))!
    expect(header.trim().split(/\s{2,}/)).toEqual([
      'checkpoint',
      'step',
      'epoch',
      'val loss',
      'train loss',
      'size',
      'created',
    ])
    const row = (file: string) => lines.find((l) => l.includes(file) && !l.includes('!'))!
    expect(
      row('checkpoint_step_10.')
        .trim()
        .split(/\s{2,}/)
        .slice(0, 5),
    ).toEqual(['checkpoint_step_10.safetensors', '10', '1.50', '3.2500', '4.5000'])
    expect(row('checkpoint_step_20.').startsWith(' *')).toBe(true)
    expect(row('checkpoint_step_10.').startsWith(' *')).toBe(false)
    expect(row('final_model').startsWith(' *')).toBe(false)
    expect(row('final_model')).toMatch(/\d+(\.\d+)? KiB {2}\d{4}-\d\d-\d\d \d\d:\d\d$/)
    expect(text).toMatch(
      /! checkpoint_step_30\.safetensors \(4 B\) cannot be used: the file is 4 bytes long, too short/,
    )
    expect(lines.at(-1)).toBe(
      '1 run, 4 checkpoints (1 unusable). * marks the lowest validation loss of a run; train loss is the mean of the last 100 steps before the checkpoint (each step is in metrics.jsonl); val loss is measured at the checkpoint\'s own step (- when it was not).',
    )
    expect(text).toMatch(/^ {2}done · 25 steps · 0 tokens · best val loss 2\.7500/m)
  })

  it('--json prints the listing the engine returns', async () => {
    await makeRun()
    const lines: string[] = []
    await listCheckpoints(dir, { json: true }, (line) => lines.push(line))
    const listing = JSON.parse(lines.join('\n'))
    expect(listing.runs.map((r: RunEntry) => r.checkpoints)).toEqual((await listRuns(dir)).runs.map((r) => r.checkpoints))
    expect(listing.runs[0]).toMatchObject({ status: 'done', parent: null, step: 25 })
  })

  it('says so when there are no runs, and refuses a missing folder', async () => {
    const lines: string[] = []
    await listCheckpoints(dir, {}, (line) => lines.push(line))
    expect(lines).toEqual([`No training runs in ${dir}.`])
    await expect(listCheckpoints(join(dir, 'nope'), {}, () => undefined)).rejects.toBeInstanceOf(
      UserError,
    )
  })

  it('is wired to the command line: `cllm checkpoints <dir> --json`', async () => {
    await makeRun()
    const written: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    const program = new Command('cllm').exitOverride()
    register(program)
    await program.parseAsync(['checkpoints', dir, '--json'], { from: 'user' })
    vi.restoreAllMocks()
    const listing = JSON.parse(written.join(''))
    expect(listing.runs[0].checkpoints.map((c: { file: string }) => c.file)).toEqual([
      'checkpoint_step_10.safetensors',
      'checkpoint_step_20.safetensors',
      'checkpoint_step_30.safetensors',
      'final_model.safetensors',
    ])
  })

  it('shows a child run’s lineage, and --history its whole history with each step once', async () => {
    const parent = await makeRun()
    const metric = (step: number) => ({ step, loss: 5 - step / 10, lr: 0.001, tokens_per_s: 100, time: '2026-11-27T11:08:00.000Z' })
    // An older build appended a resume's steps to the parent's file: steps 21–22 appear twice there.
    await appendMetrics(parent, [10, 20, 21, 22, 21, 22, 23, 24, 25].map(metric))
    const child = await createRunDir(dir, 'run-a-from-20')
    await writeRunJson(child, {
      name: 'run-a-from-20',
      created: '2026-11-27T12:00:00.000Z',
      config: { model: SMALL, training: { batchSize: 2 } },
      corpusFingerprint: 'sha256:abc',
      parent: { runDir: parent, runName: 'run-a', checkpoint: checkpointPath(parent, 20), step: 20, sha256: 'ab'.repeat(32) },
      ended: { reason: 'stopped', step: 30, at: '2026-11-27T12:01:00.000Z' },
    })
    await appendMetrics(child, [21, 22, 30].map(metric))
    const lines: string[] = []
    await listCheckpoints(dir, {}, (line) => lines.push(line))
    const text = lines.join('\n')
    expect(text).toMatch(/^ {2}stopped · 30 steps · 240 tokens · 1:00$/m)
    expect(text).toContain(`  resumed from run-a at step 20 (checkpoint_step_20.safetensors, sha256 ${'ab'.repeat(6)}…)`)

    const history: string[] = []
    await printHistory(child, {}, (line) => history.push(line))
    const records = history.map((line) => JSON.parse(line) as { step: number; run: string })
    expect(records.map((r) => r.step)).toEqual([10, 20, 21, 22, 30])
    expect(records.map((r) => r.run)).toEqual([parent, parent, child, child, child])
  })

  it('shows where a fine-tuned run started', async () => {
    const tuned = await createRunDir(dir, 'tuned')
    await writeRunJson(tuned, {
      name: 'tuned',
      created: '2026-11-27T12:00:00.000Z',
      config: { model: SMALL },
      corpusFingerprint: 'sha256:abc',
      initFrom: '/home/me/models/gpt2',
      ended: { reason: 'completed', step: 5, at: '2026-11-27T12:01:00.000Z' },
    })
    const lines: string[] = []
    await listCheckpoints(dir, {}, (line) => lines.push(line))
    expect(lines).toContain('  fine-tuned from gpt2 (/home/me/models/gpt2)')
  })
})

describe('cllm checkpoints --verify', () => {
  it('reads each checkpoint whole: damaged tensor bytes the header listing misses are reported', async () => {
    const runDir = await makeRun()
    const path = checkpointPath(runDir, 10)
    const bytes = await readFile(path)
    bytes[bytes.length - 3] ^= 0x40
    await writeFile(path, bytes)

    const plain = await listCheckpoints(dir, {}, () => undefined)
    expect(plain.runs[0].checkpoints.find((c) => c.path === path)?.status).toBe('ok')
    const lines: string[] = []
    const verified = await listCheckpoints(dir, { verify: true }, (line) => lines.push(line))
    expect(verified.runs[0].checkpoints.find((c) => c.path === path)).toMatchObject({
      status: 'corrupt',
      problem: expect.stringMatching(/tensor data does not match its checksum/),
    })
    expect(lines.join('\n')).toMatch(
      /checkpoint_step_10\.safetensors .* failed verification: its tensor data/,
    )
    expect(lines.at(-1)).toBe('Verified 4 checkpoints whole: 2 failed (marked !).')
  })

  it('says what was verified in each file, and exits 1 from the command line when anything fails', async () => {
    const runDir = await makeRun()
    await rm(checkpointPath(runDir, 30)) // the torn file: now every checkpoint is sound
    const lines: string[] = []
    await listCheckpoints(dir, { verify: true }, (line) => lines.push(line))
    const text = lines.join('\n')
    for (const file of ['checkpoint_step_10', 'checkpoint_step_20', 'final_model']) {
      expect(text).toMatch(new RegExp(
        `^ {2}✓ ${file}\\.safetensors: header SHA-256 matches; tensor data SHA-256 matches \\(\\d+ tensors\\); ` +
          'metadata consistent \\(format cllm-checkpoint, step [\\d,]+ = optimizer step, tokenizer, tensor names and shapes against the config\\); ' +
          'all [\\d,]+ weights and optimizer moments finite$', 'm'))
    }
    expect(lines.at(-1)).toBe('Verified 3 checkpoints whole: all passed.')

    const run = async (): Promise<number | undefined> => {
      process.exitCode = undefined
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
      const program = new Command('cllm').exitOverride()
      register(program)
      await program.parseAsync(['checkpoints', dir, '--verify'], { from: 'user' })
      vi.restoreAllMocks()
      const code = process.exitCode === undefined ? undefined : Number(process.exitCode)
      process.exitCode = undefined
      return code
    }
    expect(await run()).toBeUndefined()
    const path = checkpointPath(runDir, 20)
    const bytes = await readFile(path)
    bytes[bytes.length - 3] ^= 0x40
    await writeFile(path, bytes)
    expect(await run()).toBe(1)
  })
})
