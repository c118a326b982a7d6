/**
 * A closed pipe is not a failure: `cllm scan … | head -1` ends quietly. When the reader of stdout
 * (or stderr) goes away, writes stop, the commands that registered a handler wind down (training
 * stops and removes a run folder it had only begun), and without one the process exits at once.
 */
type Handler = () => void

const handlers = new Set<Handler>()
let closed = false

/** Whether the reader of the output went away. */
export function outputClosed(): boolean {
  return closed
}

/** Runs `handler` once if the output closes; returns a function that unregisters it. */
export function onOutputClosed(handler: Handler): () => void {
  handlers.add(handler)
  return () => handlers.delete(handler)
}

/** Writes unless the output has closed (a write after EPIPE would only fail again). */
export function writeOut(text: string): void {
  if (!closed) process.stdout.write(text)
}

export function writeErr(text: string): void {
  if (!closed) process.stderr.write(text)
}

/** Watches stdout and stderr for a closed pipe. Installed once by the CLI entry. */
export function installPipeGuard(
  streams: NodeJS.WriteStream[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (closed) return
      closed = true
      // Anything but a closed pipe is just as final for the output; it is not reported (where to?).
      void error
      if (handlers.size === 0) return exit(0)
      for (const handler of [...handlers]) handler()
    })
  }
}
