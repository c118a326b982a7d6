/**
 * Campaign 6: containment by what is really opened (issue 19). Links planted in the checkpoint
 * folder (a run folder, `.trash`, `.prepare`, `exports`, an export's own folder), links as export
 * targets, `--checkpoint-dir` and a resumed run's parent folder, links inside an `--init-from`
 * folder, a FIFO named like a checkpoint, impossible export targets (/proc, /etc/passwd/x, /sys),
 * hard links and a bind mount inside a corpus, and a folder swapped for a link to an outside folder
 * over and over while the corpus is scanned. Judged: every trial refused with a sentence (or read
 * once, for the hard link), nothing outside read, created, changed or deleted, nothing hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../../src/cli/main'
import { createEngineApi, type EngineApi } from '../../../src/main/engine/api/engine-api'
import { exportCheckpoint } from '../../../src/cli/commands/export'
import { createRunDir, loadCheckpoint, readCheckpointInfo, verifyCheckpoint, listRuns } from '../../../src/main/engine/checkpoints'
import { exportGguf } from '../../../src/main/engine/checkpoints/export-gguf'
import { importHuggingFace } from '../../../src/main/engine/checkpoints/import-hf'
import { exportHuggingFace } from '../../../src/main/engine/checkpoints/export-hf'
import { loadCorpus } from '../../../src/main/engine/corpus'
import { createUniqueRunDir } from '../../../src/main/engine/runs'
import { createSession } from '../../../src/main/engine/session'
import type { MethodName } from '../../../src/shared/contract'
import { UserError } from '../../../src/shared/errors'
import { fileSnapshot, trainTinyRun } from './fixtures'
import { Tally, within } from './tally'

const SECRET = 'SECRET-OUTSIDE-19c4'
const context = { transport: 'test' } as const
let base: string
let corpus: string
let checkpoints: string
let outside: string
let checkpoint: string
let api: EngineApi


beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'cllm-contain-'))
  corpus = join(base, 'corpus')
  checkpoints = join(base, 'checkpoints')
  outside = join(base, 'outside')
  for (const dir of [corpus, checkpoints, outside, join(outside, 'x'), join(outside, 'victim')]) mkdirSync(dir)
  writeFileSync(join(outside, 'x', 'run.json'), '{}\n')
  writeFileSync(join(outside, 'victim', 'README.md'), `${SECRET} the user's own model card\n`)
  writeFileSync(join(outside, 'victim', 'config.json'), `{"model_type": "${SECRET}"}\n`)
  writeFileSync(join(outside, 'config.json'), JSON.stringify({ model_type: SECRET, n_layer: 1 }))
  checkpoint = await trainTinyRun(corpus, checkpoints, 'run1', 'the quick brown fox jumps over the lazy dog while the cat sleeps by the warm fire.\n')
  api = createEngineApi({
    transport: 'websocket',
    version: 'test',
    sampleCorpus: corpus,
    checkpointDir: checkpoints,
    mayRead: (folder) => folder === corpus || folder.startsWith(join(base, 'picked')),
  })
}, 120_000)

afterAll(async () => {
  await api?.shutdown()
  rmSync(base, { recursive: true, force: true })
})

async function refusedCall(method: MethodName, input: unknown): Promise<string | null> {
  const settled = await within(api.dispatch(method, input, context), 30_000)
  if (!settled.settled) return 'hang'
  if (!('value' in settled)) return `threw ${String((settled as { error: unknown }).error)}`
  if (process.env.CLLM_CAMPAIGN_VERBOSE) console.log(`${method}: ${settled.value.ok ? 'accepted' : settled.value.error.message}`)
  return settled.value.ok ? null : settled.value.error.message
}

/** Runs one trial: `attempt` must be refused with a UserError, and `outside` must not change. */
async function expectRefused(tally: Tally, name: string, attempt: () => Promise<unknown>): Promise<void> {
  const before = fileSnapshot(outside)
  const settled = await within(attempt(), 30_000)
  const after = fileSnapshot(outside)
  if (!settled.settled) return tally.record('hang', name)
  if (after !== before) return tally.record('escape', `${name}: the outside folder changed`)
  if ('value' in settled) return tally.record('escape', `${name}: accepted`)
  const error = (settled as { error: unknown }).error
  if (!(error instanceof UserError)) return tally.record('crash', `${name}: ${String(error)}`)
  if (error.message.includes(SECRET)) return tally.record('escape', `${name}: the message quotes an outside file`)
  if (process.env.CLLM_CAMPAIGN_VERBOSE) console.log(`${name}: ${error.message}`)
  tally.record('refused', `${name}: ${error.message}`)
}

describe('campaign 6: containment by identity', () => {
  it('refuses every link in the checkpoint folder, export target and model folder, and never blocks on a FIFO', async () => {
    const tally = new Tally('containment (links, targets, FIFO)')
    const outsideBefore = fileSnapshot(outside)

    // 1. A run folder that is a link to a folder outside (with a run.json there).
    symlinkSync(join(outside, 'x'), join(checkpoints, 'linkrun'))
    for (const [method, input] of [
      ['runs.annotate', { runDir: 'linkrun', title: 'owned' }],
      ['runs.history', { runDir: 'linkrun' }],
      ['runs.delete', { runDir: 'linkrun' }],
    ] as const) {
      const message = await refusedCall(method, input)
      tally.record(message === null || message === 'hang' || message.startsWith('threw') ? 'escape' : 'refused', `${method} linkrun: ${message}`)
    }
    rmSync(join(checkpoints, 'linkrun'))

    // 2. `.trash` a link: deleting a run must not move it outside.
    symlinkSync(join(outside, 'x'), join(checkpoints, '.trash'))
    const deleted = await refusedCall('runs.delete', { runDir: 'run1' })
    tally.record(deleted !== null && existsSync(checkpoint) ? 'refused' : 'escape', `runs.delete with .trash a link: ${deleted}`)
    rmSync(join(checkpoints, '.trash'))

    // 3. `.prepare` a link: tokenizing must not write outside.
    symlinkSync(join(outside, 'x'), join(checkpoints, '.prepare'))
    await api.dispatch('corpus.scan', { folder: corpus }, context)
    const prepared = await refusedCall('dataset.prepare', { tokenizer: 'bpe', vocabSize: 300, seqLen: 8, seed: 1, valFraction: 0.1 })
    tally.record(prepared !== null && prepared !== 'hang' ? 'refused' : 'escape', `dataset.prepare with .prepare a link: ${prepared}`)
    rmSync(join(checkpoints, '.prepare'))

    // 4. `exports` a link: an export with no folder named must not write outside.
    symlinkSync(join(outside, 'x'), join(checkpoints, 'exports'))
    const exported = await refusedCall('checkpoints.export', { checkpoint, format: 'hf', precision: 'f32' })
    tally.record(exported !== null && exported !== 'hang' ? 'refused' : 'escape', `checkpoints.export with exports a link: ${exported}`)
    rmSync(join(checkpoints, 'exports'))

    // 5. The export's own folder a link to a folder outside (its README.md and config.json would be replaced).
    const picked = join(base, 'picked')
    mkdirSync(picked)
    symlinkSync(join(outside, 'victim'), join(picked, 'run1-final_model-hf'))
    const through = await refusedCall('checkpoints.export', { checkpoint, format: 'hf', precision: 'f32', outDir: picked })
    tally.record(through !== null && through !== 'hang' ? 'refused' : 'escape', `checkpoints.export into a linked -hf folder: ${through}`)

    // 6. The CLI: --out a link (HF folder, GGUF file), impossible targets, --checkpoint-dir a link, a resume beside a linked parent.
    symlinkSync(join(outside, 'victim'), join(base, 'out-link'))
    await expectRefused(tally, 'export --out a link to a folder', () => exportCheckpoint({ checkpoint, out: join(base, 'out-link') }, () => undefined))
    symlinkSync(join(outside, 'victim', 'README.md'), join(base, 'model.gguf'))
    await expectRefused(tally, 'export --format gguf --out a link to a file', () => exportGguf(checkpoint, join(base, 'model.gguf')))
    for (const out of ['/proc/nope/x', '/etc/passwd/x'])
      await expectRefused(tally, `export --out ${out}`, () => exportCheckpoint({ checkpoint, out }, () => undefined))
    await expectRefused(tally, 'export --format gguf --out /sys/kernel/x.gguf', () => exportGguf(checkpoint, '/sys/kernel/x.gguf'))
    symlinkSync(join(outside, 'x'), join(base, 'ckpt-link'))
    await expectRefused(tally, '--checkpoint-dir a link', () => createRunDir(join(base, 'ckpt-link'), 'r'))
    await expectRefused(tally, '--resume beside a linked parent folder', () => createUniqueRunDir(join(base, 'ckpt-link'), 'run1-from-3'))
    await expectRefused(tally, '--resume through a linked run folder', () =>
      createSession({ folder: corpus, resume: join(base, 'ckpt-link', 'run.json'), sample: false }),
    )

    // 7. --init-from a Hugging Face folder (this run's own export) whose files, one at a time, are links outside.
    const model = join(base, 'model')
    await exportHuggingFace(checkpoint, model)
    const control = await within(importHuggingFace(model), 30_000)
    tally.record(control.settled && 'value' in control ? 'ok' : 'crash', 'the untouched model folder imports')
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json']) {
      renameSync(join(model, name), join(base, `kept-${name}`))
      symlinkSync(join(outside, name === 'config.json' ? 'config.json' : 'victim/README.md'), join(model, name))
      await expectRefused(tally, `--init-from with ${name} a link`, () => importHuggingFace(model))
      rmSync(join(model, name))
      renameSync(join(base, `kept-${name}`), join(model, name))
    }
    symlinkSync(join(outside, 'victim'), join(base, 'model-link'))
    await expectRefused(tally, '--init-from a link to a folder', () => importHuggingFace(join(base, 'model-link')))

    // 8. A FIFO named like a checkpoint: refused before any open that could block.
    const fifo = join(checkpoints, 'run1', 'checkpoint_step_99.safetensors')
    execFileSync('mkfifo', [fifo])
    await expectRefused(tally, 'loadCheckpoint of a FIFO', () => loadCheckpoint(fifo))
    await expectRefused(tally, 'readCheckpointInfo of a FIFO', () => readCheckpointInfo(fifo))
    await expectRefused(tally, 'verifyCheckpoint of a FIFO', () => verifyCheckpoint(fifo))
    for (let i = 0; i < 4; i++) {
      const verdict = await refusedCall('checkpoints.verify', { path: fifo })
      tally.record(verdict !== null && verdict !== 'hang' ? 'refused' : 'hang', `checkpoints.verify of a FIFO: ${verdict}`)
    }
    const listed = await within(api.dispatch('runs.list', {}, context), 30_000)
    tally.record(listed.settled && 'value' in listed && listed.value.ok ? 'ok' : 'hang', 'runs.list with a FIFO in a run folder')
    const cliListing = await within(listRuns(checkpoints), 30_000)
    tally.record(cliListing.settled && 'value' in cliListing ? 'ok' : 'hang', 'cllm checkpoints with a FIFO in a run folder')
    rmSync(fifo)

    const examples = tally.report()
    expect(examples).toEqual([])
    expect(tally.escapes + tally.crashes + tally.hangs).toBe(0)
    expect(fileSnapshot(outside)).toBe(outsideBefore)
    expect(readFileSync(join(outside, 'victim', 'README.md'), 'utf8')).toContain("the user's own model card")
  }, 240_000)

  it('reads a hard-linked file once and does not enter a bind mount inside the corpus', async () => {
    const tally = new Tally('containment (hard links, bind mount)')
    const tree = join(base, 'mounted-corpus')
    mkdirSync(join(tree, 'mnt'), { recursive: true })
    writeFileSync(join(tree, 'one.txt'), 'words that train, read once.\n')
    linkSync(join(tree, 'one.txt'), join(tree, 'two.txt'))
    let mounted = false
    try {
      execFileSync('mount', ['--bind', outside, join(tree, 'mnt')], { stdio: 'ignore' })
      mounted = true
    } catch {
      console.log('[campaign] containment: mounting is not allowed here; the bind-mount trial is skipped')
    }
    try {
      const { summary, documents } = await loadCorpus({ folder: tree })
      const skipped = new Map(summary.skipped.map((s) => [s.path, s]))
      tally.record(documents.length === 1 && skipped.get('two.txt')?.reason === 'duplicate' ? 'refused' : 'escape', `hard link: ${JSON.stringify(skipped.get('two.txt'))}`)
      if (mounted) {
        tally.record(skipped.get('mnt/')?.reason === 'other-device' ? 'refused' : 'escape', `bind mount: ${JSON.stringify(skipped.get('mnt/'))}`)
        tally.record(documents.some((d) => d.text.includes(SECRET)) ? 'escape' : 'ok', 'no outside text through the bind mount')
      }
    } finally {
      if (mounted) execFileSync('umount', [join(tree, 'mnt')])
    }
    expect(tally.report()).toEqual([])
    expect(tally.escapes + tally.crashes + tally.hangs).toBe(0)
  }, 60_000)

  it('never reads the outside folder while a sub-folder is swapped for a link to it during 20 scans', async () => {
    const tally = new Tally('containment (folder-swap race)')
    const tree = join(base, 'race-corpus')
    const away = join(base, 'race-away')
    mkdirSync(join(tree, 'sub'), { recursive: true })
    for (let i = 0; i < 200; i++) writeFileSync(join(tree, `top${i}.txt`), `plain words number ${i}\n`)
    for (let i = 0; i < 50; i++) writeFileSync(join(tree, 'sub', `inside${i}.txt`), `inside words ${i}\n`)
    const secrets = join(base, 'race-outside')
    mkdirSync(secrets)
    for (let i = 0; i < 50; i++) writeFileSync(join(secrets, `inside${i}.txt`), `${SECRET} ${i}\n`)
    // Another process swaps sub ⇄ a link to the outside folder as fast as it can, until killed.
    const swapper: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const [sub, away, out] = process.argv.slice(1);
         for (;;) { try { fs.renameSync(sub, away); fs.symlinkSync(out, sub); fs.unlinkSync(sub); fs.renameSync(away, sub) } catch {} }`,
        join(tree, 'sub'),
        away,
        secrets,
      ],
      { stdio: 'ignore' },
    )
    try {
      let readSub = 0
      for (let scan = 0; scan < 20; scan++) {
        const settled = await within(loadCorpus({ folder: tree }), 60_000)
        if (!settled.settled) {
          tally.record('hang', `scan ${scan}`)
          continue
        }
        if (!('value' in settled)) {
          const error = (settled as { error: unknown }).error
          tally.record(error instanceof UserError && !error.message.includes(SECRET) ? 'refused' : 'crash', `scan ${scan}: ${String(error)}`)
          continue
        }
        const { documents, summary } = settled.value
        const leaked = documents.some((d) => d.text.includes(SECRET)) || JSON.stringify(summary).includes(SECRET)
        readSub += documents.filter((d) => d.path.startsWith('sub/')).length
        tally.record(leaked ? 'escape' : 'ok', `scan ${scan}`)
      }
      console.log(`[campaign] containment (folder-swap race): ${readSub} files of sub/ read from inside the folder across the scans`)
    } finally {
      swapper.kill('SIGKILL')
      await new Promise((resolve) => swapper.once('exit', resolve))
    }
    expect(tally.report()).toEqual([])
    expect(tally.escapes + tally.crashes + tally.hangs).toBe(0)
  }, 600_000)

  it('answers each of these through the real `cllm` with one Error: line and exit code 2, never a hang', async () => {
    const tally = new Tally('containment (cllm)')
    const fifo = join(base, 'pipe.safetensors')
    execFileSync('mkfifo', [fifo])
    symlinkSync(join(outside, 'victim'), join(base, 'cli-out-link'))
    const before = fileSnapshot(outside)
    for (const args of [
      ['export', '--checkpoint', checkpoint, '--out', '/proc/nope/x'],
      ['export', '--checkpoint', checkpoint, '--out', '/etc/passwd/x'],
      ['export', '--checkpoint', checkpoint, '--format', 'gguf', '--out', '/sys/kernel/x.gguf'],
      ['export', '--checkpoint', checkpoint, '--out', join(base, 'cli-out-link')],
      ['export', '--checkpoint', fifo, '--out', join(base, 'never')],
      ['generate', '--checkpoint', fifo, '--prompt', 'a'],
      ['checkpoints', '--history', join(base, 'cli-out-link')],
    ]) {
      let err = ''
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        err += String(chunk)
        return true
      })
      process.exitCode = undefined
      try {
        const result = await within(main(['node', 'cllm', ...args]), 30_000)
        const lines = err.split('\n').filter((line) => line !== '')
        if (!result.settled) tally.record('hang', args.join(' '))
        else if ('value' in result && result.value === 2 && lines.length === 1 && /^Error: \S/.test(lines[0]) && !err.includes(SECRET)) tally.record('refused', args.join(' '))
        else tally.record('crash', `${args.join(' ')}: ${'value' in result ? result.value : 'threw'} ${err}`)
      } finally {
        stdout.mockRestore()
        stderr.mockRestore()
        process.exitCode = undefined
      }
    }
    expect(fileSnapshot(outside)).toBe(before)
    expect(tally.report()).toEqual([])
    expect(tally.crashes + tally.hangs + tally.escapes).toBe(0)
  }, 300_000)
})
