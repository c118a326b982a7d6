// Entry of the kernels module. It exports functions only and declares no data, globals or stack, so
// it writes nothing into the shared memory except through the pointers it is given (see ../abi.ts).
export { matmulNN, matmulNT, matmulTN } from './matmul'
export { add, accumulate, scale, sumSquares, zero, biasBackward } from './elementwise'
export { encoderForward, encoderBackward } from './encoder'
export { layernormForward, layernormBackward } from './layernorm'
export { geluForward, geluBackward } from './gelu'
export { attentionForward, attentionStep, attentionBackward } from './attention'
export { crossEntropyForward, crossEntropyBackward } from './crossentropy'
export { adamw } from './adamw'
