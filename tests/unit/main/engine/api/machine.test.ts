import { describe, expect, it } from 'vitest'
import { totalmem } from 'node:os'
import { createMachineHandlers } from '../../../../../src/main/engine/api/handlers/machine'

describe('app.machine', () => {
  it('reports the machine’s memory in use and how busy all cores were since the last call', async () => {
    const machine = createMachineHandlers()['app.machine']
    // Keep a core busy between two calls: the share it reports is then above zero.
    await machine({}, { transport: 'websocket' } as never)
    const until = Date.now() + 150
    while (Date.now() < until) Math.sqrt(Math.random())
    const now = await machine({}, { transport: 'websocket' } as never)
    expect(now.totalMemoryBytes).toBe(totalmem())
    expect(now.usedMemoryBytes).toBeGreaterThan(0)
    expect(now.usedMemoryBytes).toBeLessThanOrEqual(now.totalMemoryBytes)
    expect(now.cpuBusy).not.toBeNull()
    expect(now.cpuBusy!).toBeGreaterThan(0)
    expect(now.cpuBusy!).toBeLessThanOrEqual(1)
  })
})
