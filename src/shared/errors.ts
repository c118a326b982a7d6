import { z } from 'zod'

/** Error codes every transport can return. A message is always a sentence for the user, never a stack. */
export const ErrorCode = z.enum([
  'invalid-input',
  'not-found',
  'not-a-folder',
  'unreadable',
  'no-usable-text',
  'cancelled',
  'forbidden',
  'unknown-method',
  'busy',
  'invalid-config',
  'corrupt-checkpoint',
  'internal',
])
export type ErrorCode = z.infer<typeof ErrorCode>

export const ApiError = z.object({ code: ErrorCode, message: z.string() })
export type ApiError = z.infer<typeof ApiError>

/** Thrown by engine services for failures the user should read as they are. */
export class UserError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'UserError'
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError }
