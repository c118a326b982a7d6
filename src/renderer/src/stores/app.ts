import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo } from '../../../shared/contract'
import type { ApiError } from '../../../shared/errors'
import { useApi, type ConnectionState } from '../api'

/** What the engine says about itself, and whether the UI can reach it. */
export const useAppStore = defineStore('app', () => {
  const api = useApi()
  const info = ref<AppInfo | null>(null)
  const error = ref<ApiError | null>(null)
  const connection = ref<ConnectionState>(api.connectionState())
  api.onConnectionState((state) => (connection.value = state))

  async function loadInfo(): Promise<AppInfo | null> {
    const result = await api.call('app.info', {})
    if (result.ok) {
      info.value = result.value
      error.value = null
    } else {
      error.value = result.error
    }
    return info.value
  }

  return { info, error, connection, loadInfo }
})
