/** The two Electron IPC channels that carry the contract between preload and main. */
export const IPC_CALL_CHANNEL = 'cllm:call'
export const IPC_EVENT_CHANNEL = 'cllm:event'
