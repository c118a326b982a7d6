/**
 * A Python with PyTorch for the tests that use it as an oracle or run the job's train.py: Debian's
 * /usr/bin/python3 (what .ci/run installs python3-torch for), else `python3` on the PATH. Tests skip
 * only when neither imports torch, and say so; under CI a missing torch is a failure, not a skip.
 */
import { spawnSync } from 'node:child_process'

function importsTorch(python: string): boolean {
  const run = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 })
  return run.status === 0
}

let found: string | null | undefined

export function pythonWithTorch(): string | null {
  if (found === undefined) {
    found = ['/usr/bin/python3', 'python3'].find(importsTorch) ?? null
    if (found === null) {
      if (process.env.CI) throw new Error('CI has no Python with PyTorch (python3-torch): .ci/run installs it.')
      process.stderr.write('No Python with PyTorch here (/usr/bin/python3, python3): the job tests are skipped. Install python3-torch to run them.\n')
    }
  }
  return found
}
