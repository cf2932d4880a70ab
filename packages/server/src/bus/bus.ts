/**
 * The bus carries messages between the gateways of one session, wherever its
 * sockets are connected. The embedded default is in memory; a cluster uses
 * Redis pub/sub behind the same two methods. Messages are opaque bytes: a
 * binary DOM frame or a UTF-8 JSON control message (see protocol's frame.ts).
 */
export type BusHandler = (message: Uint8Array) => void;

export interface Bus {
  publish(topic: string, message: Uint8Array): Promise<void>;
  /** Returns the function that ends the subscription. */
  subscribe(topic: string, handler: BusHandler): Promise<() => void>;
  close(): Promise<void>;
}

/** Topic of what is sent to every agent of a session. */
export const toAgents = (sessionId: string) => `s:${sessionId}:a`;
/** Topic of what is sent to one agent of a session (on all of their sockets). */
export const toAgent = (sessionId: string, agentId: string) => `s:${sessionId}:a:${agentId}`;
/** Topic of what is sent to the visitor of a session. */
export const toVisitor = (sessionId: string) => `s:${sessionId}:v`;
