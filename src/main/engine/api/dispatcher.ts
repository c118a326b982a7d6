import { ZodError } from 'zod'
import {
  isMethodName,
  methods,
  type MethodArgs,
  type MethodName,
  type MethodOutput,
} from '../../../shared/contract'
import { UserError, type ApiError, type Result } from '../../../shared/errors'

/** What a handler knows about the caller. Transports fill it in. */
export interface CallContext {
  transport: 'ipc' | 'websocket' | 'cli' | 'test'
}

export type Handlers = {
  [M in MethodName]: (input: MethodArgs<M>, context: CallContext) => Promise<MethodOutput<M>>
}

export type Dispatch = (
  method: unknown,
  input: unknown,
  context: CallContext,
) => Promise<Result<unknown>>

/**
 * The one place a method call is checked and run, whatever transport it came through:
 * unknown methods are refused, input is validated against the contract's schema, and any
 * failure becomes a typed error with a readable message — never a stack trace.
 */
export function createDispatcher(handlers: Handlers): Dispatch {
  return async (method, input, context) => {
    if (!isMethodName(method)) {
      return failure({ code: 'unknown-method', message: `Unknown method: ${String(method)}` })
    }
    const parsed = methods[method].input.safeParse(input ?? {})
    if (!parsed.success)
      return failure({ code: 'invalid-input', message: describeZodError(parsed.error) })
    try {
      const handler = handlers[method] as (input: unknown, context: CallContext) => Promise<unknown>
      const value = await handler(parsed.data, context)
      return { ok: true, value }
    } catch (error) {
      return failure(toApiError(error))
    }
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof UserError) return { code: error.code, message: error.message }
  if (error instanceof ZodError) return { code: 'invalid-input', message: describeZodError(error) }
  const message = error instanceof Error ? error.message : String(error)
  return { code: 'internal', message: `Something went wrong: ${firstLine(message)}` }
}

/** "batchSize: must be positive; seqLen: expected a number" — field names first, for the user. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) =>
      issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    )
    .join('; ')
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]
}

function failure(error: ApiError): Result<never> {
  return { ok: false, error }
}
