/**
 * How the server writes JSON for sockets and the bus, one encoder per channel:
 * `encode.agent(…)` takes only a ServerToAgent, so the compiler refuses a
 * message the protocol does not declare for that channel. With
 * TANDEM_CHECK_OUTBOUND=1 (the test suite sets it) every message is also
 * checked at run time against its channel's schema.
 */
import type { BusMessage, ServerToAgent, ServerToController, ServerToPresence, ServerToVisitor } from '@tandem/protocol';
import {
  busMessages,
  messageValidator,
  serverToAgent,
  serverToController,
  serverToPresence,
  serverToVisitor,
  sessionEvents,
  type MessageTable,
  type NestedTable,
} from '@tandem/protocol/schema';

const checkOutbound = process.env.TANDEM_CHECK_OUTBOUND === '1';

function encoder<T>(channel: string, table: MessageTable, nested?: Record<string, NestedTable>): (msg: T) => Uint8Array {
  const check = checkOutbound ? messageValidator(table, nested) : null;
  return (msg) => {
    const result = check?.(msg);
    if (result && !result.ok) {
      throw new Error(
        `The server was about to send a ${channel} message the protocol does not declare (${result.problem}): ${JSON.stringify(msg).slice(0, 300)}`,
      );
    }
    return Buffer.from(JSON.stringify(msg));
  };
}

export const encode = {
  visitor: encoder<ServerToVisitor>('visitor', serverToVisitor),
  agent: encoder<ServerToAgent>('agent', serverToAgent),
  presence: encoder<ServerToPresence>('presence', serverToPresence),
  controller: encoder<ServerToController>('controller', serverToController),
  bus: encoder<BusMessage>('bus', busMessages, { event: { field: null, key: 'name', table: sessionEvents } }),
};

/** Reads the `t` of a JSON message from the bus, without trusting anything else about it. */
export function peekType(message: Uint8Array): { t: string; value: Record<string, unknown> } | null {
  if (message[0] !== 0x7b) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(message).toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, 't')) return null;
    const t = (value as { t: unknown }).t;
    return typeof t === 'string' ? { t, value: value as Record<string, unknown> } : null;
  } catch {
    return null;
  }
}
