/**
 * `cllm` — the headless face of the engine. Each command lives in ./commands and registers itself;
 * this file only builds the program and turns failures into one readable line and a non-zero exit.
 */
import { Command, CommanderError } from 'commander'
import { reportFailure } from './report'
import { commands } from './commands'

export async function main(argv: string[]): Promise<number> {
  const program = new Command('cllm')
    .description('Train small GPT-style language models on your own files, on your CPU.')
    .version(__APP_VERSION__)
    .exitOverride()
    .showHelpAfterError()
  for (const register of commands) register(program)
  try {
    await program.parseAsync(argv)
    return process.exitCode === undefined ? 0 : Number(process.exitCode)
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode
    return reportFailure(error)
  }
}

const exitCode = await main(process.argv)
process.exitCode = exitCode
