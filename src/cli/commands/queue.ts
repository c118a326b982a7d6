/**
 * `cllm queue <file.json>`: several training runs one after another, from a JSON file —
 * `[{"folder": "notes", "config": {"training": {"learningRate": 0.003}}}, …]` (folders, the
 * checkpoint folder and checkpoints relative to the file; `config` as the run config, `resume` a checkpoint). A run that fails does not stop the
 * rest; the exit code is 1 when any failed.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import { runQueue, type QueueOptions, type QueueResult } from '../../main/engine/queue'
import { UserError } from '../../shared/errors'
import { withDefaultArchitecture } from '../../shared/training'
import { parseQueueFile, queueFileHelp } from '../queue-file'
import { stdio, type CliIo } from './train'

export function register(program: Command): void {
  program
    .command('queue')
    .description('Train several configurations one after another (a failed run does not stop the rest).')
    .argument('<file>', 'JSON file: [{"folder": …, "config": {…}}, …]')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', queueFileHelp())
    .action(async (file: string, options: { json?: boolean }) => {
      const results = await queueCommand(file, options, stdio)
      if (results.some((result) => result.state === 'failed')) process.exitCode = 1
    })
}

export async function queueCommand(file: string, options: { json?: boolean }, io: CliIo, session: QueueOptions['session'] = {}): Promise<QueueResult[]> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError('not-found', `Queue file ${file} does not exist.`)
    throw new UserError('invalid-input', `Queue file ${file} is not valid JSON.`)
  }
  const base = dirname(resolve(file))
  const items = parseQueueFile(json, file).map((item) => ({
    folder: resolve(base, item.folder),
    ...given(item.resume ? item.config : withDefaultArchitecture(item.config), base),
    ...(item.resume ? { resume: resolve(base, item.resume) } : {}),
  }))
  const results = await runQueue(items, {
    session,
    onSession: (_session, index) => {
      if (!options.json) io.out(`Run ${index + 1}/${items.length}: ${items[index].folder}\n`)
    },
  })
  if (options.json) io.out(`${JSON.stringify(results, null, 2)}\n`)
  else {
    for (const result of results) {
      io.out(
        result.state === 'failed'
          ? `Run ${result.index + 1}: failed — ${result.message}\n`
          : `Run ${result.index + 1}: ${result.reason} at step ${result.step} in ${result.runDir}\n`,
      )
    }
  }
  return results
}

/** The entry's config, if any (a new run's with the default family added, as `cllm train` does). */
function given(config: Record<string, unknown> | undefined, base: string): { config?: Record<string, unknown> } {
  return config ? { config: relativeTo(base, config) } : {}
}

/** A checkpoint folder given in the file is relative to the file, like the corpus folders. */
function relativeTo(base: string, config: Record<string, unknown>): Record<string, unknown> {
  const paths = config.paths as { checkpointDir?: unknown } | undefined
  if (typeof paths?.checkpointDir !== 'string') return config
  return { ...config, paths: { ...paths, checkpointDir: resolve(base, paths.checkpointDir) } }
}
