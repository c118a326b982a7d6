/**
 * The `cllm` program: each command lives in ./commands and registers itself; this file builds the
 * program and turns every failure — the argument parser's too — into one `Error: …` line and a
 * non-zero exit code (2 for bad input). index.ts runs it.
 */
import { Command, CommanderError } from 'commander'
import { reportFailure, reportUsageError } from './report'
import { commands } from './commands'
import { writeErr, writeOut } from './output'

/** Commander's ways of ending that are not failures. */
const NOT_FAILURES = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help'])

export async function main(argv: string[]): Promise<number> {
  const program = new Command('cllm')
    .description('Train small GPT-style language models on your own files, on your CPU.')
    .version(__APP_VERSION__)
    .exitOverride()
    // Help goes to stdout when asked for; parser errors are printed by reportUsageError, once.
    .configureOutput({ writeOut, writeErr, outputError: () => undefined })
  for (const register of commands) register(program)
  try {
    await program.parseAsync(argv)
    return process.exitCode === undefined ? 0 : Number(process.exitCode)
  } catch (error) {
    if (error instanceof CommanderError) {
      if (NOT_FAILURES.has(error.code)) return 0
      return reportUsageError(error.message, commandNamed(program, argv))
    }
    return reportFailure(error)
  }
}

/** The subcommand the user typed, for the `--help` hint. */
function commandNamed(program: Command, argv: string[]): string | undefined {
  const names = new Set(
    program.commands.flatMap((command) => [command.name(), ...command.aliases()]),
  )
  return argv.slice(2).find((arg) => names.has(arg))
}
