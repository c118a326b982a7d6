import { defineStore } from 'pinia'
import { ref } from 'vue'

export type ToastTone = 'info' | 'success' | 'danger'

export interface Toast {
  id: number
  title: string
  detail?: string
  tone: ToastTone
}

/** How long a toast stays; the run log keeps the same news for later. */
const SHOWN_MS = 4000
/** More at once would cover the charts. */
const MAX_SHOWN = 3
/** A toast is a glance; the whole sentence stays where it belongs (the view, the log). */
const MAX_DETAIL = 140

/** Short news in a corner (a checkpoint saved, a run finished) that goes away by itself. */
export const useToastStore = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([])
  let next = 1

  function show(title: string, options: { detail?: string; tone?: ToastTone } = {}): number {
    const detail =
      options.detail && options.detail.length > MAX_DETAIL
        ? `${options.detail.slice(0, MAX_DETAIL - 1).trimEnd()}…`
        : options.detail
    const toast: Toast = { id: next++, title, detail, tone: options.tone ?? 'info' }
    toasts.value = [...toasts.value, toast].slice(-MAX_SHOWN)
    setTimeout(() => dismiss(toast.id), SHOWN_MS)
    return toast.id
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((toast) => toast.id !== id)
  }

  return { toasts, show, dismiss }
})
