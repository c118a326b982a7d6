import { cpus, freemem, totalmem } from 'node:os'
import type { Handlers } from '../dispatcher'

interface CpuSample {
  busy: number
  total: number
}

function sampleCpus(): CpuSample {
  let busy = 0
  let total = 0
  for (const { times } of cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle
    total += sum
    busy += sum - times.idle
  }
  return { busy, total }
}

/**
 * The machine as a whole while a run trains (the UI polls it): memory in use and the share of all
 * cores that were busy since the previous call, whoever used them, so the user sees what competes
 * with the spheres.
 */
export function createMachineHandlers(): Pick<Handlers, 'app.machine'> {
  let previous = sampleCpus()
  return {
    'app.machine': async () => {
      const now = sampleCpus()
      const total = now.total - previous.total
      const cpuBusy = total > 0 ? Math.min(1, Math.max(0, (now.busy - previous.busy) / total)) : null
      previous = now
      const totalMemoryBytes = totalmem()
      return { totalMemoryBytes, usedMemoryBytes: totalMemoryBytes - freemem(), cpuBusy, cores: cpus().length }
    },
  }
}
