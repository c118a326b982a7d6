/** The job template's own Python unit tests (tests/python/), run under `npm test` and counted here. */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { pythonWithTorch } from '../../../../support/python-torch'

const python = pythonWithTorch()

describe.skipIf(python === null)('train.py and safetensors_io.py (python3 -m unittest)', () => {
  it('passes every Python unit test', () => {
    const run = spawnSync(python!, ['-m', 'unittest', 'discover', '-s', 'tests/python', '-v'], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, // no __pycache__ beside the templates
    })
    const output = `${run.stdout}${run.stderr}`
    expect(run.status, output).toBe(0)
    expect(output).toMatch(/Ran \d+ tests/)
    expect(output).toMatch(/\nOK\b/)
  }, 130_000)
})
