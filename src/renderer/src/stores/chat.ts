import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { ChatMessage } from '../../../shared/chat'
import type { ApiError } from '../../../shared/errors'
import { useApi } from '../api'

let requestCounter = 0
function newRequestId(): string {
  return `chat-${Date.now().toString(36)}-${(++requestCounter).toString(36)}`
}

/**
 * The chat playground: a conversation with a model that has a chat template. Each turn sends the
 * whole conversation; the engine applies the template, streams the answer (`generate.text`) and
 * keeps its key/value cache from one turn to the next.
 */
export const useChatStore = defineStore('chat', () => {
  const api = useApi()
  const system = ref('')
  const messages = ref<ChatMessage[]>([])
  const draft = ref('')
  /** The answer as it streams in. */
  const streaming = ref('')
  const busy = ref(false)
  const error = ref<ApiError | null>(null)
  const requestId = ref<string | null>(null)
  /** The last turn's figures: prompt tokens and positions computed (fewer with the cache). */
  const last = ref<{ promptTokens: number; computedPositions: number; tokens: number; stoppedAtEndOfTurn: boolean } | null>(null)

  api.on('generate.text', (payload) => {
    if (payload.requestId === requestId.value) streaming.value += payload.text
  })

  async function send(checkpoint: string, options: { maxTokens: number; temperature: number; topK: number; topP: number; seed: number }): Promise<void> {
    const text = draft.value.trim()
    if (!text || busy.value) return
    messages.value = [...messages.value, { role: 'user', content: text }]
    draft.value = ''
    const id = newRequestId()
    requestId.value = id
    streaming.value = ''
    error.value = null
    busy.value = true
    const conversation: ChatMessage[] = [
      ...(system.value.trim() ? [{ role: 'system' as const, content: system.value.trim() }] : []),
      ...messages.value,
    ]
    const result = await api.call('chat.reply', { checkpoint, requestId: id, messages: conversation, ...options })
    busy.value = false
    if (requestId.value !== id) return
    streaming.value = ''
    if (result.ok) {
      messages.value = [...messages.value, { role: 'assistant', content: result.value.text }]
      last.value = {
        promptTokens: result.value.promptTokens,
        computedPositions: result.value.computedPositions,
        tokens: result.value.tokens,
        stoppedAtEndOfTurn: result.value.stoppedAtEndOfTurn,
      }
    } else {
      error.value = result.error
    }
  }

  async function stop(): Promise<void> {
    if (busy.value && requestId.value) await api.call('generate.cancel', { requestId: requestId.value })
  }

  function reset(): void {
    messages.value = []
    streaming.value = ''
    error.value = null
    last.value = null
    requestId.value = null
  }

  return { system, messages, draft, streaming, busy, error, last, send, stop, reset }
})
