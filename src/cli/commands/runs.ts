/**
 * `cllm runs import RUN_DIR`: brings a run trained elsewhere (a job's train.py, another studio) into
 * the checkpoint folder as a new run, after checking it whole; a folder that fails a check is refused
 * with the reason and nothing is copied (see engine/runs/import.ts). `cllm checkpoints` lists runs.
 */
import type { Command } from 'commander'
import { importRun, type ImportedRun } from '../../main/engine/runs'
import { formatBytes } from '../../shared/units'

export interface ImportOptions {
  checkpointDir: string
  json?: boolean
}

export function register(program: Command): void {
  const runs = program.command('runs').description('Work with run folders as a whole (see also: cllm checkpoints).')
  runs
    .command('import')
    .description('Check a run folder trained elsewhere (a job\'s train.py --out) and copy it into the checkpoint folder as a run.')
    .argument('<run-dir>', 'the run folder to bring back (it is only read)')
    .option('--checkpoint-dir <dir>', 'checkpoint folder to import into', './checkpoints')
    .option('--json', 'print the result as JSON')
    .action(async (runDir: string, options: ImportOptions) => {
      await importRunFolder(runDir, options, (line) => process.stdout.write(`${line}\n`), (line) => process.stderr.write(`${line}\n`))
    })
}

export async function importRunFolder(
  runDir: string,
  options: ImportOptions,
  print: (line: string) => void,
  warn: (line: string) => void,
): Promise<ImportedRun> {
  const result = await importRun({ source: runDir, checkpointDir: options.checkpointDir })
  if (options.json) {
    print(JSON.stringify(result, null, 2))
    return result
  }
  const where = result.imported.trainedOn
  const on = where ? ` (trained on ${[where.host, where.device, where.worldSize ? `${where.worldSize} processes` : undefined].filter(Boolean).join(', ')})` : ''
  print(`Imported ${result.imported.from}${on} as ${result.runDir}:`)
  const width = Math.max(...result.files.map((f) => f.name.length))
  for (const file of result.files) print(`  ${file.name.padEnd(width)}  ${formatBytes(file.bytes).padStart(9)}`)
  const parent = result.imported.parentAsRecorded
  print(
    `${result.checkpoints} checkpoint${result.checkpoints === 1 ? '' : 's'}, up to step ${result.step}` +
      (parent ? `; continues ${parent.runName ?? parent.checkpoint} from step ${parent.step}${result.parentDir ? '' : ' (not in this checkpoint folder)'}` : '') +
      '. Resume, generate, evaluate or export it like any run.',
  )
  for (const warning of result.warnings) warn(`Warning: ${warning}`)
  return result
}
