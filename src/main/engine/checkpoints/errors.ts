import { UserError } from '../../../shared/errors'

/** A damaged, foreign or inconsistent checkpoint file: names the file and, in `problem`, what is wrong. */
export class CorruptCheckpointError extends UserError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super('corrupt-checkpoint', `Cannot use checkpoint ${file}: ${problem}.`)
  }
}

export function corruptCheckpoint(file: string, problem: string): CorruptCheckpointError {
  return new CorruptCheckpointError(file, problem)
}
