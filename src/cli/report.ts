import { UserError } from '../shared/errors'
import { writeErr } from './output'

/** Exit code for input the user can correct (a bad flag, a missing folder, a damaged file). */
export const BAD_INPUT_EXIT = 2

/** Print a failure as one line for the user (a stack only with CLLM_DEBUG=1) and return the exit code. */
export function reportFailure(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error)
  writeErr(`Error: ${oneLine(message)}\n`)
  if (process.env.CLLM_DEBUG && error instanceof Error && !(error instanceof UserError)) {
    writeErr(`${error.stack}\n`)
  }
  return error instanceof UserError ? BAD_INPUT_EXIT : 1
}

/**
 * The argument parser's complaint (commander writes "error: unknown option '--lr'\n(Did you mean
 * --learning-rate?)") as one `Error:` line that points at the command's help.
 */
export function reportUsageError(message: string, command: string | undefined): number {
  const text = oneLine(message.replace(/^error:\s*/i, ''))
  const sentence = /[.?!)]$/.test(text) ? text : `${text}.`
  const help = command ? `cllm ${command} --help` : 'cllm --help'
  writeErr(`Error: ${capitalise(sentence)} See \`${help}\`.\n`)
  return BAD_INPUT_EXIT
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ')
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
