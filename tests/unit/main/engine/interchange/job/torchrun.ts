/**
 * Runs a job's train.py under torchrun on this machine's CPU (gloo). Each worker's output goes to
 * torchrun's log folder (`--redirects 2`, needed by torch 1.13 on Python 3.11) with only stdout
 * shown (`--tee 1`): a failure returns those logs too, so a rank's error is never lost.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A two-rank run of 10 steps takes about 20 s here, most of it two Python processes importing torch;
 * ten minutes leaves a loaded machine room, and a real hang still ends.
 */
const TORCHRUN_TIMEOUT_MS = 600_000

export interface TorchrunResult {
  status: number | null
  stdout: string
  /** torchrun's own stderr, then every worker log file (stderr included). */
  output: string
}

export function torchrun(python: string, ranks: number, script: string, args: string[], cwd: string): TorchrunResult {
  const logDir = mkdtempSync(join(tmpdir(), 'cllm-torchrun-'))
  const run = spawnSync(
    python,
    ['-m', 'torch.distributed.run', '--redirects', '2', '--tee', '1', '--log_dir', logDir, '--monitor_interval', '0.2',
      '--rdzv_backend', 'c10d', '--rdzv_endpoint', 'localhost:0', '--nnodes', '1', '--nproc_per_node', String(ranks),
      script, ...args],
    { cwd, encoding: 'utf8', timeout: TORCHRUN_TIMEOUT_MS },
  )
  const logs: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else logs.push(`--- ${path.slice(logDir.length + 1)}\n${readFileSync(path, 'utf8')}`)
    }
  }
  walk(logDir)
  const timedOut = run.error ? `\n(torchrun did not end: ${run.error.message})` : ''
  return { status: run.status, stdout: run.stdout, output: `${run.stdout}${run.stderr}${timedOut}\n${logs.join('\n')}` }
}
