/**
 * AdamW's per-step scalars, computed in f64 on the host exactly as torch.optim.AdamW computes them
 * (in Python floats), so the f32 kernel rounds each one once on entry and never forms a difference
 * itself: in f32, 1 − 0.999 is 0.000999987, a 1.3e-5 relative error in every second moment.
 */
import type { Kernels } from '../kernels/abi'
import type { AdamWConfig } from './trainer'

export interface AdamWStep {
  beta1: number
  oneMinusBeta1: number
  beta2: number
  oneMinusBeta2: number
  eps: number
  /** lr / (1 − β1^t). */
  stepSize: number
  /** √(1 − β2^t). */
  sqrtBiasCorrection2: number
  /** 1 − lr·weightDecay, for tensors that decay. */
  decayFactor: number
}

/** The scalars of step t (1-based) at learning rate lr. */
export function adamwStep(config: AdamWConfig, lr: number, t: number): AdamWStep {
  return {
    beta1: config.beta1,
    oneMinusBeta1: 1 - config.beta1,
    beta2: config.beta2,
    oneMinusBeta2: 1 - config.beta2,
    eps: config.eps,
    stepSize: lr / (1 - config.beta1 ** t),
    sqrtBiasCorrection2: Math.sqrt(1 - config.beta2 ** t),
    decayFactor: 1 - lr * config.weightDecay,
  }
}

/** One AdamW update of n floats at the given byte offsets; `decay` false for biases and LayerNorm. */
export function applyAdamW(
  k: Kernels,
  step: AdamWStep,
  at: { params: number; grads: number; m: number; v: number },
  n: number,
  decay: boolean,
  gradScale: number,
): void {
  k.adamw(
    at.params, at.grads, at.m, at.v, n, step.beta1, step.oneMinusBeta1, step.beta2, step.oneMinusBeta2,
    step.eps, decay ? step.decayFactor : 1, step.stepSize, step.sqrtBiasCorrection2, gradScale,
  )
}
