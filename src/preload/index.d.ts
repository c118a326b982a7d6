import type { CllmApi } from '../shared/contract'

declare global {
  interface Window {
    /** Present in the Electron app (preload); absent in the browser, where the WebSocket client is used. */
    cllm?: CllmApi
  }
}

export {}
