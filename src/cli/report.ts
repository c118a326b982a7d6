import { UserError } from '../shared/errors'

/** Print a failure as one line for the user (a stack only with CLLM_DEBUG=1) and return the exit code. */
export function reportFailure(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`Error: ${message}\n`)
  if (process.env.CLLM_DEBUG && error instanceof Error && !(error instanceof UserError)) {
    process.stderr.write(`${error.stack}\n`)
  }
  return error instanceof UserError ? 2 : 1
}
