/** `cllm train FOLDER --job DIR` and `cllm export --format job`: the job folder, and what is printed. */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportCheckpoint } from '../../../../src/cli/commands/export'
import { writeJob } from '../../../../src/cli/commands/train'
import { workspace, type Workspace } from '../../main/engine/session/fixtures'
import { capture, tinyCheckpoint } from './cli-fixtures'

let ws: Workspace
let checkpoint: string
beforeAll(async () => {
  ws = await workspace(2, 120)
  checkpoint = await tinyCheckpoint(ws.corpus, ws.checkpoints, 4)
}, 60_000)
afterAll(async () => {
  await ws?.cleanup()
})

// GPT-2 named: these settings describe the same small GPT-2 run whatever the default family.
const FLAGS = { arch: 'gpt2' as const, vocabSize: 64, embedDim: 16, numLayers: 1, numHeads: 2, seqLen: 8, tokenizer: 'word' as const, threads: 1, maxSteps: 5 }

describe('cllm train --job', () => {
  it('prepares the run in the checkpoint folder and writes the job instead of training', async () => {
    const io = capture()
    const out = join(ws.root, 'job')
    const result = await writeJob(ws.corpus, { ...FLAGS, checkpointDir: ws.checkpoints, job: out }, io)
    expect(result.step).toBe(0)
    expect(readdirSync(out)).toContain('train.py')
    expect(readdirSync(result.runDir)).toContain('checkpoint_step_0.safetensors')
    expect(io.stdout()).toContain(`Wrote a PyTorch job continuing ${result.parent.runName} from step 0 to ${out}:`)
    expect(io.stdout()).toMatch(/^ {2}train\.py +\d/m)
    expect(io.stdout()).toContain('torchrun --standalone --nproc_per_node N train.py')
  }, 60_000)

  it('refuses --job with --resume, naming the command that continues a checkpoint elsewhere', async () => {
    await expect(writeJob(ws.corpus, { ...FLAGS, resume: checkpoint, job: join(ws.root, 'x') }, capture())).rejects.toThrow(
      /cllm export --checkpoint CKPT --format job --out DIR/,
    )
  })

  it('refuses an impossible config with the flag named, before writing anything', async () => {
    const out = join(ws.root, 'bad')
    await expect(writeJob(ws.corpus, { ...FLAGS, numHeads: 3, checkpointDir: join(ws.root, 'cp-bad'), job: out }, capture())).rejects.toThrow(/--num-heads/)
    expect(readdirSync(ws.root)).not.toContain('bad')
  })
})

describe('cllm export --format job', () => {
  it('writes the job from a checkpoint and lists its files', async () => {
    const lines: string[] = []
    const out = join(ws.root, 'job-from-ckpt')
    await exportCheckpoint({ checkpoint, out, format: 'job' }, (line) => lines.push(line))
    expect(lines[0]).toBe(`Wrote a PyTorch job continuing tiny from step 4 to ${out}:`)
    expect(readdirSync(out).sort()).toContain('start.safetensors')
  })

  it('refuses --precision for a job', async () => {
    await expect(exportCheckpoint({ checkpoint, out: join(ws.root, 'p'), format: 'job', precision: 'f16' }, () => undefined)).rejects.toThrow(/--precision applies to --format gguf only/)
  })
})
