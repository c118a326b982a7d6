#!/usr/bin/env node
/**
 * `npm test`: every check the project has, in order, each counted — typecheck (node and web, and
 * the proof that each typecheck fails on a planted error), lint, build, unit tests (Vitest),
 * end-to-end tests (Playwright). Ends with one line `N passed, N failed, N skipped` summing all
 * suites. Skipped tests are named; with CI set (CI=true), each skipped test also counts as a
 * failure: a test that never runs where the suite is judged checks nothing.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const totals = { passed: 0, failed: 0, skipped: 0 }
const failures = []
/** CI=true (or any value but "false" and "0"): a skipped test fails the run. */
const skipFails = Boolean(process.env.CI) && !['false', '0'].includes(process.env.CI ?? '')

function run(command, args, options = {}) {
  const started = Date.now()
  const env = { ...process.env, FORCE_COLOR: '0', ...options.env }
  const result = spawnSync(command, args, { stdio: options.quiet ? 'pipe' : 'inherit', encoding: 'utf8', env })
  return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, seconds: (Date.now() - started) / 1000 }
}

function check(name, passed, seconds) {
  totals[passed ? 'passed' : 'failed'] += 1
  if (!passed) failures.push(name)
  console.log(`${passed ? '✓' : '✗'} ${name}${seconds === undefined ? '' : ` (${seconds.toFixed(1)} s)`}`)
}

function step(name, command, args) {
  console.log(`\n── ${name}`)
  const { status, seconds } = run(command, args)
  check(name, status === 0, seconds)
  return status === 0
}

/** A typecheck must report the planted error in `file`, or it checks nothing. */
function plantedStep(name, command, args, file) {
  const { status, output, seconds } = run(command, args, { quiet: true })
  check(name, status !== 0 && output.includes(file), seconds)
}

const npx = (bin, ...args) => ['npx', ['--no-install', bin, ...args]]

step('typecheck: node', ...npx('tsc', '--noEmit', '-p', 'tsconfig.node.json'))
step('typecheck: web', ...npx('vue-tsc', '--noEmit', '-p', 'tsconfig.web.json'))
step('typecheck: renderer tests', ...npx('vue-tsc', '--noEmit', '-p', 'tsconfig.renderer-tests.json'))
plantedStep('typecheck: node fails on a planted error', ...npx('tsc', '--noEmit', '-p', 'tests/typecheck/tsconfig.planted-node.json'), 'planted-node.ts')
plantedStep('typecheck: web fails on a planted error', ...npx('vue-tsc', '--noEmit', '-p', 'tests/typecheck/tsconfig.planted-web.json'), 'Planted.vue')
step('lint', ...npx('eslint', '.', '--max-warnings', '0'))
const built = step('build', 'npm', ['run', 'build', '--silent'])

function countedSuite(name, command, args, reportFile, count, env = {}) {
  console.log(`\n── ${name}`)
  rmSync(reportFile, { force: true })
  const { status, seconds } = run(command, args, { env })
  if (!existsSync(reportFile)) {
    check(`${name} (no report written)`, false, seconds)
    return
  }
  const { passed, failed, skipped } = count(JSON.parse(readFileSync(reportFile, 'utf8')))
  totals.passed += passed
  totals.failed += failed
  totals.skipped += skipped.length
  for (const test of skipped) console.log(`skipped: ${test}${skipFails ? ' — counted as failed (CI)' : ''}`)
  const skipFailures = skipFails ? skipped.length : 0
  totals.failed += skipFailures
  if (failed + skipFailures > 0 || status !== 0) failures.push(name)
  if (status !== 0 && failed === 0) check(`${name} exited with ${status}`, false)
  console.log(`${name}: ${passed} passed, ${failed + skipFailures} failed, ${skipped.length} skipped (${seconds.toFixed(1)} s)`)
}

/** Vitest's JSON report: the tests that did not run (skipped, pending, todo), by file and full name. */
function vitestSkipped(report) {
  return report.testResults.flatMap((file) =>
    file.assertionResults
      .filter((test) => ['skipped', 'pending', 'todo'].includes(test.status))
      .map((test) => `${file.name.replace(`${process.cwd()}/`, '')} › ${test.fullName}`),
  )
}

/** Playwright's JSON report: the tests that were skipped, by file and title, through nested suites. */
function playwrightSkipped(report) {
  const skipped = []
  const visit = (suite, titles) => {
    for (const spec of suite.specs ?? []) {
      if (spec.tests.some((test) => test.status === 'skipped')) skipped.push(`${spec.file} › ${[...titles, spec.title].join(' › ')}`)
    }
    for (const child of suite.suites ?? []) visit(child, [...titles, child.title])
  }
  for (const file of report.suites) visit(file, [])
  return skipped
}

const reports = mkdtempSync(join(tmpdir(), 'cllm-test-'))
countedSuite('unit (vitest)', ...npx('vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(reports, 'vitest.json')}`), join(reports, 'vitest.json'), (report) => ({
  passed: report.numPassedTests,
  // A test file that fails to load has no test results of its own: count it as one failure.
  failed:
    report.numFailedTests +
    report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length,
  skipped: vitestSkipped(report),
}))

if (built) {
  const playwrightReport = join(reports, 'playwright.json')
  countedSuite(
    'e2e (playwright)',
    ...npx('playwright', 'test'),
    playwrightReport,
    (report) => ({
      passed: report.stats.expected + (report.stats.flaky ?? 0),
      failed: report.stats.unexpected,
      skipped: playwrightSkipped(report),
    }),
    { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport },
  )
} else {
  check('e2e (playwright) — skipped: the build failed', false)
}
rmSync(reports, { recursive: true, force: true })

if (failures.length) console.log(`\nFailed: ${failures.join(', ')}`)
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exitCode = totals.failed === 0 ? 0 : 1
