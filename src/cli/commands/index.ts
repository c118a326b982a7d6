import type { Command } from 'commander'

/** Every `cllm` subcommand. Add one line per command module. */
export const commands: Array<(program: Command) => void> = []
