import { z } from 'zod'
import { ERROR_CODES } from './errors'

/** Runtime schemas of the error types in ./errors, for payloads that carry an error. */
export const ErrorCodeSchema = z.enum(ERROR_CODES)
export const ApiErrorSchema = z.object({ code: ErrorCodeSchema, message: z.string() })
