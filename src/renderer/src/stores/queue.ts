import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { ApiError } from '../../../shared/errors'
import type { QueueItem } from '../../../shared/queue'
import { useApi } from '../api'
import { useAppStore } from './app'
import type { StartRequest } from './training'

/**
 * The engine's training queue, as the Queue panel shows it: runs waiting their turn, the one
 * training, and how the others ended. The engine holds the queue (in memory, for as long as it
 * runs); this store mirrors it from `queue.changed` and fetches it again after a reconnect.
 */
export const useQueueStore = defineStore('queue', () => {
  const api = useApi()
  const app = useAppStore()
  const items = ref<QueueItem[]>([])
  /** An add or remove the engine refused. */
  const error = ref<ApiError | null>(null)
  const adding = ref(false)

  const waiting = computed(() => items.value.filter((item) => item.status === 'waiting').length)

  api.on('queue.changed', (payload) => {
    items.value = payload.items
  })

  async function refresh(): Promise<void> {
    const result = await api.call('queue.list', {})
    if (result.ok) items.value = result.value.items
  }

  /** Whether the engine accepted; a refusal is kept in `error` for the panel. */
  function accepted(result: { ok: true } | { ok: false; error: ApiError }): boolean {
    error.value = result.ok ? null : result.error
    return result.ok
  }

  /** Queues a run; the engine starts it at once when nothing trains. */
  async function add(request: StartRequest): Promise<boolean> {
    if (adding.value) return false
    adding.value = true
    error.value = null
    const result = await api.call('queue.add', request)
    adding.value = false
    return accepted(result)
  }

  async function remove(id: string): Promise<boolean> {
    error.value = null
    return accepted(await api.call('queue.remove', { id }))
  }

  watch(
    () => app.connection,
    (now, before) => {
      if (now === 'open' && before === 'reconnecting') void refresh()
    },
  )

  return { items, error, adding, waiting, refresh, add, remove }
})
