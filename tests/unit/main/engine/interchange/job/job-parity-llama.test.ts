/**
 * A Llama run handed to PyTorch and brought back: for two tiny Llama runs — grouped-query attention
 * with an untied head, and Qwen2's shape (q/k/v biases, one key/value head, its ε and θ) — a job
 * exported here and run by train.py in one process follows the studio step for step; two ranks under
 * torchrun (gloo), each accumulating its share in micro-batches, follow one process; train.py resumes
 * the studio's checkpoint, and the torchrun run folder, imported with `importRun`, resumes here, each
 * as the uninterrupted run; a tampered Llama checkpoint is refused on import. The GPT-2 side of
 * the same checks (and the bad-input ones, which do not depend on the architecture) is in
 * job-parity.test.ts. Skipped only where no Python has torch (never in CI).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { cp, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyCheckpoint } from '../../../../../../src/main/engine/checkpoints'
import { exportJobFromConfig, type JobFromConfigResult } from '../../../../../../src/main/engine/interchange/job'
import { importRun, listRunSummaries } from '../../../../../../src/main/engine/runs'
import type { RunConfigInput, RunFinished } from '../../../../../../src/shared/training'
import { pythonWithTorch } from '../../../../support/python-torch'
import { lossGap, metricsByStep, steps, studioResume, weightGap } from './parity'
import { torchrun } from './torchrun'
import { workspace, type Workspace } from '../../session/fixtures'

const python = pythonWithTorch()
const STEPS = 30
const BASE = { architecture: 'llama', vocabSize: 300, embedDim: 32, numLayers: 2, numHeads: 4, seqLen: 16 } as const
const VARIANTS = {
  'gqa-untied': { ...BASE, numKvHeads: 2, ffnDim: 48, tiedEmbeddings: false },
  'qwen2-bias': { ...BASE, numKvHeads: 1, qkvBias: true, normEps: 1e-6, ropeTheta: 1_000_000 },
} satisfies Record<string, RunConfigInput['model']>
type Variant = keyof typeof VARIANTS

let ws: Workspace
let jobRuns: string
let elsewhere: string
const jobs = {} as Record<Variant, { exported: JobFromConfigResult; studio: RunFinished }>

function config(variant: Variant): RunConfigInput {
  return {
    model: VARIANTS[variant],
    training: { tokenizer: 'bpe', batchSize: 4, maxSteps: STEPS, threads: 2, evalInterval: 10, checkpointInterval: 10, keep: 5 },
    paths: { runName: `laptop-${variant}` },
  }
}

function trainPy(job: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(python!, [join(job, 'train.py'), '--device', 'cpu', '--threads', '1', '--out', jobRuns, ...args], {
    cwd: elsewhere,
    encoding: 'utf8',
    timeout: 120_000,
  })
}

describe.skipIf(python === null)('a Llama job run by train.py (PyTorch) against the studio', () => {
  beforeAll(async () => {
    ws = await workspace(4, 250)
    jobRuns = join(ws.root, 'job-runs')
    elsewhere = join(ws.root, 'cwd')
    await mkdir(elsewhere)
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const exported = await exportJobFromConfig({
        folder: ws.corpus,
        config: config(variant),
        outDir: join(ws.root, `job-${variant}`),
        checkpointDir: ws.checkpoints,
      })
      // The studio's own run from the same step-0 checkpoint, uninterrupted.
      jobs[variant] = { exported, studio: await studioResume(ws, STEPS, exported.checkpoint, `studio-${variant}`) }
      const run = trainPy(exported.outDir, ['--run-name', `one-${variant}`])
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0)
    }
  }, 300_000)

  afterAll(async () => {
    await ws?.cleanup()
  })

  it.each(Object.keys(VARIANTS) as Variant[])(
    '%s: one process follows the studio step for step (losses within 1e-4 over every step, weights within float32 noise)',
    async (variant) => {
      const { exported, studio } = jobs[variant]
      expect(JSON.parse(readFileSync(join(exported.outDir, 'config.json'), 'utf8')).model).toMatchObject({ architecture: 'llama' })
      const one = join(jobRuns, `one-${variant}`)
      const gap = lossGap(studio.runDir!, one, steps(1, STEPS))
      const weights = await weightGap(join(studio.runDir!, 'final_model.safetensors'), join(one, 'final_model.safetensors'))
      console.log(`llama ${variant}: job vs studio over ${STEPS} steps: max |Δloss| ${gap.toExponential(2)}; max |Δweight| ${weights.params.toExponential(2)}; max |Δmoment| ${weights.moments.toExponential(2)}`)
      expect(gap).toBeLessThan(1e-4)
      expect(weights.params).toBeLessThan(1e-4)
      expect(await verifyCheckpoint(join(one, 'final_model.safetensors'))).toMatchObject({ status: 'ok' })
      // Not a loss that stands still: both trained.
      const losses = metricsByStep(one)
      expect(losses.get(STEPS)!.loss!).toBeLessThan(losses.get(1)!.loss! - 0.5)

      // train.py resumes the studio's own step-20 checkpoint as its uninterrupted run.
      const resumed = trainPy(exported.outDir, ['--resume', join(studio.runDir!, 'checkpoint_step_20.safetensors'), '--run-name', `from-studio-${variant}`])
      expect(resumed.status, `${resumed.stdout}${resumed.stderr}`).toBe(0)
      expect(resumed.stdout).toContain(`steps 20 → ${STEPS}`)
      const fromStudio = join(jobRuns, `from-studio-${variant}`)
      const resumedGap = lossGap(one, fromStudio, steps(21, STEPS))
      const resumedWeights = await weightGap(join(one, 'final_model.safetensors'), join(fromStudio, 'final_model.safetensors'))
      console.log(`llama ${variant}: train.py resuming the studio's step 20 vs its uninterrupted run: max |Δloss| ${resumedGap.toExponential(2)}; max |Δweight| ${resumedWeights.params.toExponential(2)}`)
      expect(resumedGap).toBeLessThan(1e-4)
      expect(resumedWeights.params).toBeLessThan(1e-4)
    },
    60_000,
  )

  it('two ranks under torchrun (gloo) follow one process, and their run imported here resumes as the uninterrupted studio run', async () => {
    const variant: Variant = 'gqa-untied'
    const { exported, studio } = jobs[variant]
    const run = torchrun(python!, 2, join(exported.outDir, 'train.py'), ['--device', 'cpu', '--threads', '1', '--out', jobRuns, '--run-name', 'ddp', '--stop-after', '10', '--micro-batch', '1'], elsewhere)
    expect(run.status, run.output).toBe(0)
    expect(run.stdout).toContain('2 process(es) on cpu')
    const ddp = join(jobRuns, 'ddp')
    const gap = lossGap(join(jobRuns, `one-${variant}`), ddp, steps(1, 10))
    console.log(`llama ${variant}: torchrun 2 ranks × 2 micro-batches of 1 window vs 1 process over 10 steps: max |Δloss| ${gap.toExponential(2)}`)
    expect(gap).toBeLessThan(1e-5)
    expect(readdirSync(ddp)).toContain('checkpoint_step_10.safetensors')

    const imported = await importRun({ source: ddp, checkpointDir: ws.checkpoints })
    expect(imported.warnings).toEqual([])
    expect(imported.parentDir).toBe(exported.runDir)
    expect(imported.step).toBe(10)
    const listed = (await listRunSummaries(ws.checkpoints)).runs.find((r) => r.path === imported.runDir)!
    expect(listed.parent).toMatchObject({ runName: `laptop-${variant}`, step: 0 })

    const back = await studioResume(ws, STEPS, join(imported.runDir, 'checkpoint_step_10.safetensors'), 'back-here')
    const resumedGap = lossGap(studio.runDir!, back.runDir!, steps(11, STEPS))
    const weights = await weightGap(join(studio.runDir!, 'final_model.safetensors'), join(back.runDir!, 'final_model.safetensors'))
    console.log(`llama ${variant}: the studio resuming the imported torchrun run at step 10 vs uninterrupted: max |Δloss| ${resumedGap.toExponential(2)}; max |Δweight| ${weights.params.toExponential(2)}`)
    expect(resumedGap).toBeLessThan(1e-4)
    expect(weights.params).toBeLessThan(1e-4)
    expect(JSON.parse(readFileSync(join(back.runDir!, 'run.json'), 'utf8')).parent).toMatchObject({ runDir: imported.runDir, step: 10 })
  }, 660_000) // torchrun's own limit (torchrun.ts) and then some

  it('a Llama run folder whose checkpoint breaks the Llama layout or its AdamW moments is refused, nothing copied', async () => {
    // Re-signed copies of the torchrun run's checkpoint (checksums right, content wrong): k_proj as if
    // the model had 4 key/value heads, and a negative second moment.
    const tamper = `
import json, sys, torch
sys.path.insert(0, sys.argv[1])
import safetensors_io as st
meta, tensors = st.load_checkpoint(sys.argv[2])
fields = {k: (json.loads(v) if k in ("config", "sampler", "rng", "losses") else v) for k, v in meta.items()}
fields["step"], fields["epoch"] = int(meta["step"]), float(meta["epoch"])
k = "model.layers.1.self_attn.k_proj.weight"
if sys.argv[4] == "kv-heads":
    for name in (k, st.ADAM_M_PREFIX + k, st.ADAM_V_PREFIX + k):
        tensors[name] = torch.zeros(32, 32)
else:
    tensors[st.ADAM_V_PREFIX + "lm_head.weight"][0, 0] = -1.0
st.save_checkpoint(sys.argv[3], list(tensors.items()), fields)
`
    const ddp = join(jobRuns, 'ddp')
    for (const [how, reason] of [
      ['kv-heads', /checkpoint checkpoint_step_10\.safetensors does not verify: .*k_proj\.weight/],
      ['moment', /checkpoint checkpoint_step_10\.safetensors does not verify: .*optimizer\.v\.lm_head\.weight/],
    ] as const) {
      const copy = join(ws.root, `tampered-${how}`)
      await cp(ddp, copy, { recursive: true })
      const file = join(copy, 'checkpoint_step_10.safetensors')
      const run = spawnSync(python!, ['-c', tamper, jobs['gqa-untied'].exported.outDir, join(ddp, 'checkpoint_step_10.safetensors'), file, how], { encoding: 'utf8' })
      expect(run.status, run.stderr).toBe(0)
      const before = readdirSync(ws.checkpoints).sort()
      await expect(importRun({ source: copy, checkpointDir: ws.checkpoints })).rejects.toThrow(reason)
      expect(readdirSync(ws.checkpoints).sort()).toEqual(before)
    }
  })
})
