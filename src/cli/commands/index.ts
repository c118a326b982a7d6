import type { Command } from 'commander'
import { register as registerServe } from './serve'

/** Every `cllm` subcommand. Add one line per command module. */
export const commands: Array<(program: Command) => void> = [registerServe]
