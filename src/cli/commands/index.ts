import type { Command } from 'commander'
import { register as registerServe } from './serve'
import { register as registerCheckpoints } from './checkpoints'
import { register as registerExport } from './export'
import { register as registerTrain } from './train'
import { register as registerGenerate } from './generate'
import { register as registerChat } from './chat'
import { register as registerEvaluate } from './evaluate'
import { register as registerScan } from './scan'
import { register as registerTokenize } from './tokenize'
import { register as registerPrepare } from './prepare'
import { register as registerQueue } from './queue'
import { register as registerRuns } from './runs'

/** Every `cllm` subcommand. Add one line per command module. */
/** In the order a newcomer meets them: data, tokens, training, using a model, the browser UI. */
export const commands: Array<(program: Command) => void> = [
  registerScan,
  registerPrepare,
  registerTokenize,
  registerTrain,
  registerQueue,
  registerGenerate,
  registerChat,
  registerEvaluate,
  registerCheckpoints,
  registerRuns,
  registerExport,
  registerServe,
]
