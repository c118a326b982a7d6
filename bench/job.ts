/**
 * The studio against its exported job: `npm run bench -- job [--steps 40] [--runs 2] [--shape tiny|small]
 * [--arch gpt2|llama]` (llama: the same width, depth and query heads, half as many key/value heads).
 *
 * Exports a job from a run prepared on the sample corpus (src/main/engine/interchange/job), then
 * trains the same steps from the same step-0 checkpoint with the studio (the sphere pool, every core)
 * and with the job's train.py on this CPU (PyTorch, one process, every core), alternately, --runs
 * times each; and with the job on the GPU (`--device cuda`) where PyTorch sees one. Each figure is
 * training tokens per second over the steps' own time (evaluation and checkpoint writing excluded):
 * the studio's RunFinished.tokensPerSec and the job's run.json `ended.tokensPerSec`, the same
 * measure. Prints figures only; it asserts nothing.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { exportJobFromConfig } from '../src/main/engine/interchange/job'
import { JOB_ARCHITECTURES } from '../src/main/engine/interchange/job/write-job'
import { createSession } from '../src/main/engine/session'
import type { RunConfigInput } from '../src/shared/training'
import { median } from './train'

const SHAPES: Record<string, RunConfigInput['model']> = {
  tiny: { vocabSize: 500, embedDim: 64, numLayers: 2, numHeads: 4, seqLen: 32 },
  small: { vocabSize: 4096, embedDim: 256, numLayers: 4, numHeads: 8, seqLen: 128 },
}
const BATCH: Record<string, number> = { tiny: 32, small: 16 }

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '40' },
    runs: { type: 'string', default: '2' },
    shape: { type: 'string', default: 'tiny' },
    arch: { type: 'string', default: 'gpt2' },
  },
})
const steps = Number(values.steps)
const runs = Number(values.runs)
const shape = values.shape!
if (!SHAPES[shape]) throw new Error(`--shape is tiny or small, not ${shape}`)
const arch = values.arch!
if (!(JOB_ARCHITECTURES as readonly string[]).includes(arch)) throw new Error(`--arch is ${JOB_ARCHITECTURES.join(' or ')}, not ${arch}`)
/** The shape's model in the chosen architecture: Llama with half as many key/value heads as query heads. */
const model: RunConfigInput['model'] =
  arch === 'llama'
    ? { ...SHAPES[shape], architecture: 'llama', numKvHeads: SHAPES[shape]!.numHeads! / 2 }
    : { ...SHAPES[shape], architecture: 'gpt2' }
const cores = availableParallelism()
const corpus = resolve(fileURLToPath(new URL('../resources/sample-corpus', import.meta.url)))

function findPython(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return python
  }
  return null
}

const python = findPython()
if (!python) {
  console.log('No Python with PyTorch here (/usr/bin/python3, python3): only the job export can run. Install python3-torch.')
  process.exit(0)
}
const torchInfo = spawnSync(python, ['-c', 'import torch,json; print(json.dumps({"v": torch.__version__, "cuda": torch.cuda.is_available(), "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))'], { encoding: 'utf8' })
const torch = JSON.parse(torchInfo.stdout) as { v: string; cuda: boolean; gpu: string | null }

const root = await mkdtemp(join(tmpdir(), 'cllm-bench-job-'))
try {
  const threads = Math.min(cores, BATCH[shape])
  const config: RunConfigInput = {
    model,
    training: { batchSize: BATCH[shape], maxSteps: steps, threads, evalInterval: 1_000_000, checkpointInterval: 0 },
  }
  const exported = await exportJobFromConfig({ folder: corpus, config, outDir: join(root, 'job'), checkpointDir: join(root, 'checkpoints') })
  console.log(`${arch}, shape ${shape} (${JSON.stringify(model)}), batch ${BATCH[shape]}, ${steps} steps from step 0; ${cores} cores; PyTorch ${torch.v}`)
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (other processes on these cores slow both sides, PyTorch's OpenMP threads the most)`)

  const studio: number[] = []
  const jobCpu: number[] = []
  const jobGpu: number[] = []
  const job = (device: 'cpu' | 'cuda', name: string): number => {
    const run = spawnSync(python, [join(exported.outDir, 'train.py'), '--device', device, '--out', join(root, 'job-runs'), '--run-name', name], { encoding: 'utf8' })
    if (run.status !== 0) throw new Error(`train.py failed: ${run.stderr}`)
    const info = JSON.parse(readFileSync(join(root, 'job-runs', name, 'run.json'), 'utf8')) as { ended: { tokensPerSec: number } }
    return info.ended.tokensPerSec
  }
  for (let i = 0; i < runs; i++) {
    const session = await createSession({
      folder: corpus,
      resume: exported.checkpoint,
      sample: false,
      config: { training: { maxSteps: steps, threads: threads }, paths: { checkpointDir: join(root, 'studio'), runName: `studio-${i}` } },
    })
    const finished = await session.run()
    if (finished.state !== 'done') throw new Error(`studio run failed: ${finished.message}`)
    studio.push(finished.tokensPerSec ?? 0)
    jobCpu.push(job('cpu', `cpu-${i}`))
    if (torch.cuda) jobGpu.push(job('cuda', `gpu-${i}`))
  }
  const row = (label: string, xs: number[]) =>
    console.log(`${label.padEnd(44)} ${xs.length ? median(xs).toFixed(0).padStart(10) : '         –'}  (${xs.map((x) => x.toFixed(0)).join(', ') || 'none'})`)
  console.log(`${'tokens/s (training steps only, median of runs)'.padEnd(44)} ${'median'.padStart(10)}  (each run)`)
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(1)).join(', ')}`)
  row(`studio, ${threads} spheres (WebAssembly SIMD)`, studio)
  row(`job train.py, CPU, ${cores} threads (PyTorch ${torch.v})`, jobCpu)
  if (torch.cuda) row(`job train.py, GPU ${torch.gpu}`, jobGpu)
  else console.log('No GPU found (torch.cuda.is_available() is false here): no GPU figure.')
} finally {
  await rm(root, { recursive: true, force: true })
}
