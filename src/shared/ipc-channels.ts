/** The two Electron IPC channels that carry the contract between preload and main. */
export const IPC_CALL_CHANNEL = 'cllm:call'
export const IPC_EVENT_CHANNEL = 'cllm:event'
/** Preload → main: the path of a folder the user dropped on the window (src/preload/folder-drop.ts). */
export const IPC_DROP_CHANNEL = 'cllm:dropped'
