import type { Bus, BusHandler } from './bus.js';

/** One process, no service: delivery is synchronous and in order. */
export class MemoryBus implements Bus {
  private readonly topics = new Map<string, Set<BusHandler>>();

  async publish(topic: string, message: Uint8Array): Promise<void> {
    const handlers = this.topics.get(topic);
    if (!handlers) return;
    // Nothing is ever lost in one process.
    for (const h of [...handlers]) h(message, false);
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => void> {
    let handlers = this.topics.get(topic);
    if (!handlers) this.topics.set(topic, (handlers = new Set()));
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0) this.topics.delete(topic);
    };
  }

  async close(): Promise<void> {
    this.topics.clear();
  }
}
