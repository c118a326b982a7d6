/**
 * Error codes and the error the engine throws for failures the user should read as they are.
 * Deliberately free of zod: workers and the CLI import UserError, and the schema lives beside the
 * contract (src/shared/error-schema.ts).
 */

/** Error codes every transport can return. A message is always a sentence for the user, never a stack. */
export const ERROR_CODES = [
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
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ApiError {
  code: ErrorCode
  message: string
}

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
