/** `cllm` — the headless face of the engine: watch for a closed pipe, run the program, exit with its code. */
import { main } from './main'
import { installPipeGuard } from './output'

installPipeGuard()
const exitCode = await main(process.argv)
process.exitCode = exitCode
