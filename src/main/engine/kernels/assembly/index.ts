// Entry of the kernels module. It exports functions only and declares no data, globals or stack, so
// it writes nothing into the shared memory except through the pointers it is given (see ../abi.ts).
export { matmulNN, matmulNT, matmulTN } from './matmul'
export { add, accumulate, scale, sumSquares, zero, biasBackward, biasForward } from './elementwise'
export { encoderForward, encoderBackward, encoderForwardAt, encoderBackwardAt, embeddingForward, embeddingBackward } from './encoder'
export { layernormForward, layernormBackward } from './layernorm'
export { rmsnormForward, rmsnormBackward } from './rmsnorm'
export { geluForward, geluBackward } from './gelu'
export { swigluForward, swigluBackward } from './swiglu'
export { rope, ropeAt } from './rope'
export {
  attentionForward, attentionStep, attentionBackward,
  groupedAttentionForward, groupedAttentionStep, groupedAttentionBackward,
  segmentedAttentionForward, segmentedAttentionBackward,
} from './attention'
export { crossEntropyForward, crossEntropyBackward } from './crossentropy'
export { adamw } from './adamw'
