/**
 * The actions a room delivered to its visitor's sockets, until the page
 * answers them. A result is recorded in the session's events only when it
 * answers one of these: a page cannot add results of actions no agent sent,
 * nor name the kind of an action itself. The room of the visitor's node sees
 * every action on its way to the page (through the bus), whichever node the
 * agent is on. Bounded: a page that never answers holds at most MAX entries.
 */
import { ACTION_KINDS, limits, type ActionKind, type AgentInfo } from '@tandem/protocol';

const MAX = 256;

export interface DeliveredAction {
  agent: AgentInfo;
  kind: ActionKind;
}

export class DeliveredActions {
  /** By agent and action id; an agent's viewers count apart, so one id may wait twice (oldest first). */
  private readonly waiting = new Map<string, DeliveredAction[]>();
  private count = 0;

  /** An `action` message on its way to the visitor, as the bus brought it (checked here, like anything from the bus). */
  add(message: Record<string, unknown>): void {
    const { agentId, name, id, a } = message;
    const kind = typeof a === 'object' && a !== null && Object.hasOwn(a, 'k') ? (a as { k: unknown }).k : undefined;
    if (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > 64) return;
    if (typeof name !== 'string' || name.length > limits.maxIdentityField || !Number.isInteger(id)) return;
    if (!(ACTION_KINDS as unknown[]).includes(kind)) return;
    const key = `${agentId} ${String(id)}`;
    const list = this.waiting.get(key);
    if (list) this.waiting.delete(key);
    // Re-inserted: the map's order stays the order of the newest delivery per key, so the oldest goes first.
    this.waiting.set(key, [...(list ?? []), { agent: { id: agentId, name }, kind: kind as ActionKind }]);
    if (++this.count > MAX) this.dropOldest();
  }

  /** The action this result answers, once; undefined when none waits. */
  take(agentId: string, id: number): DeliveredAction | undefined {
    const key = `${agentId} ${id}`;
    const list = this.waiting.get(key);
    if (!list) return undefined;
    const first = list.shift();
    if (list.length === 0) this.waiting.delete(key);
    this.count--;
    return first;
  }

  private dropOldest(): void {
    const [key, list] = this.waiting.entries().next().value!;
    list.shift();
    if (list.length === 0) this.waiting.delete(key);
    this.count--;
  }
}
