import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppInfo } from '../../../shared/contract'
import type { ApiError } from '../../../shared/errors'
import { useApi, type ConnectionState } from '../api'

/** The studio's steps, in the order a user takes them. */
export type Section = 'data' | 'train' | 'checkpoints' | 'generate'

/** What the engine says about itself, whether the UI can reach it, and which step is shown. */
export const useAppStore = defineStore('app', () => {
  const api = useApi()
  const info = ref<AppInfo | null>(null)
  const error = ref<ApiError | null>(null)
  const connection = ref<ConnectionState>(api.connectionState())
  const section = ref<Section>('data')
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

  function go(to: Section): void {
    section.value = to
  }

  return { info, error, connection, section, loadInfo, go }
})
