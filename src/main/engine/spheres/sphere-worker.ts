/**
 * Entry of a sphere's worker thread (built as its own bundle, `sphere-worker`). Instantiates the
 * kernels on the run's shared memory, reports ready, then serves commands until told to exit. An
 * exception ends the thread with 'error' on the coordinator's side, which fails the pending step.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openKernels, type KernelSource } from './kernel-source'
import { Sphere, type SphereInit } from './sphere'
import type { WasmMemory } from './wasm'

interface WorkerData extends SphereInit {
  memory: WasmMemory
  kernels: KernelSource
}

const data = workerData as WorkerData
const kernels = openKernels(data.kernels, data.memory)
const sphere = new Sphere(kernels, data.memory, data)
parentPort?.postMessage({ ready: data.id })
sphere.run()
// The exit command: let the thread end (the port would otherwise keep its event loop alive).
data.datasets.close()
