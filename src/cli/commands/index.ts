import type { Command } from 'commander'
import { register as registerServe } from './serve'
import { register as registerCheckpoints } from './checkpoints'
import { register as registerExport } from './export'
import { register as registerScan } from './scan'
import { register as registerTokenize } from './tokenize'
import { register as registerPrepare } from './prepare'

/** Every `cllm` subcommand. Add one line per command module. */
export const commands: Array<(program: Command) => void> = [
  registerServe,
  registerCheckpoints,
  registerExport,
  registerScan,
  registerTokenize,
  registerPrepare,
]
