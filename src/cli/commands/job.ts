/**
 * The CLI's side of a job (src/main/engine/interchange/job): `cllm export --format job` and
 * `cllm train FOLDER --job DIR` write the folder; this prints what was written and how to run it.
 */
import { exportJobFromCheckpoint, type JobExportResult } from '../../main/engine/interchange/job'
import { UserError } from '../../shared/errors'
import { formatBytes } from '../../shared/units'

export function printJob(result: JobExportResult, json: boolean | undefined, print: (line: string) => void): void {
  if (json) {
    print(JSON.stringify(result, null, 2))
    return
  }
  const from = result.parent.runName ?? result.parent.checkpoint
  print(`Wrote a PyTorch job continuing ${from} from step ${result.step} to ${result.outDir}:`)
  const width = Math.max(...result.files.map((f) => f.name.length))
  for (const file of result.files) print(`  ${file.name.padEnd(width)}  ${formatBytes(file.bytes).padStart(9)}`)
  print('Run it there (see its README.md):')
  print('  python3 train.py                                        one GPU, or the CPU')
  print('  torchrun --standalone --nproc_per_node N train.py       N GPUs (DDP)')
  print('Bring the run back with: cllm runs import <job>/runs/<run folder>')
}

export async function exportJobFolder(
  options: { checkpoint: string; out: string; precision?: string; json?: boolean },
  print: (line: string) => void,
): Promise<JobExportResult> {
  if (options.precision !== undefined) {
    throw new UserError('invalid-input', '--precision applies to --format gguf only; a job keeps the F32 weights and AdamW moments.')
  }
  const result = await exportJobFromCheckpoint({ checkpoint: options.checkpoint, outDir: options.out })
  printJob(result, options.json, print)
  return result
}
