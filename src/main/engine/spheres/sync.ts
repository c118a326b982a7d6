import { I, arriveIndex } from './control'
import { firstRing, sphereChildren } from './topology'

/**
 * Polls before sleeping. Pure spinning collapses when another process takes a core; pure waiting costs
 * a futex round trip (~10 µs) per barrier. A few thousand loads cover the common case where the other
 * spheres arrive within microseconds.
 */
export const DEFAULT_SPINS = 4096

/** Blocks until ints[index] === value: spins `spins` loads, then Atomics.wait. Values only move forward. */
export function awaitValue(ints: Int32Array, index: number, value: number, spins: number): void {
  for (let i = 0; i < spins; i++) if (Atomics.load(ints, index) === value) return
  for (;;) {
    const seen = Atomics.load(ints, index)
    if (seen === value) return
    Atomics.wait(ints, index, seen)
  }
}

export function signal(ints: Int32Array, index: number, value: number): void {
  Atomics.store(ints, index, value)
  Atomics.notify(ints, index)
}

/**
 * A combining tree barrier over the kissing-sphere tree. Arrival: a sphere waits until each of its
 * children has reported the epoch (their whole subtree is in), then reports it itself; sphere 0, the
 * hub of the first ring, also waits for the rest of the ring. Release: sphere 0 broadcasts the epoch on
 * one word every sphere waits on. Epochs count barriers, so no word ever needs resetting.
 */
export class TreeBarrier {
  private epoch = 0
  private readonly children: number[]
  private readonly ring: number[]
  /** Nanoseconds spent waiting in this barrier since the last `takeWaitNs`. */
  private waitedNs = 0

  constructor(
    private readonly ints: Int32Array,
    private readonly id: number,
    threads: number,
    private readonly spins = DEFAULT_SPINS,
  ) {
    this.children = sphereChildren(id, threads)
    this.ring = id === 0 ? firstRing(threads).filter((r) => r !== 0) : []
  }

  /** Everybody waits for everybody. */
  wait(): void {
    const t0 = performance.now()
    const epoch = this.arrive()
    if (this.id === 0) signal(this.ints, I.release, epoch)
    else awaitValue(this.ints, I.release, epoch, this.spins)
    this.waitedNs += (performance.now() - t0) * 1e6
  }

  /**
   * The last barrier of a command: the spheres only report; sphere 0, once all are in, tells the
   * coordinator by setting DONE to `seq`. Nobody waits for a release, the next command is the release.
   */
  finish(seq: number): void {
    const t0 = performance.now()
    this.arrive()
    if (this.id === 0) signal(this.ints, I.done, seq)
    this.waitedNs += (performance.now() - t0) * 1e6
  }

  takeWaitNs(): number {
    const ns = this.waitedNs
    this.waitedNs = 0
    return ns
  }

  private arrive(): number {
    const epoch = (this.epoch = (this.epoch + 1) | 0)
    for (const child of this.children) awaitValue(this.ints, arriveIndex(child), epoch, this.spins)
    for (const peer of this.ring) awaitValue(this.ints, arriveIndex(peer), epoch, this.spins)
    signal(this.ints, arriveIndex(this.id), epoch)
    return epoch
  }
}
