import type { EngineEvent, EventName, EventPayload } from '../../../shared/contract'

export type EventListener = (event: EngineEvent) => void

/** Fan-out of engine events to every connected transport (IPC window, WebSocket clients, CLI). */
export class EventHub {
  private readonly listeners = new Set<EventListener>()

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const message = { event, payload } as EngineEvent
    for (const listener of this.listeners) listener(message)
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
