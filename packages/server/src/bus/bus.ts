/**
 * The bus carries messages between the nodes of a cluster (and, in one
 * process, between a session's sockets). The embedded default is in memory; a
 * cluster uses Redis pub/sub behind the same three methods. Messages are
 * opaque bytes: a binary DOM frame or UTF-8 JSON (see protocol's frame.ts).
 * Only the rooms (live/room.ts) and the session event stream publish.
 */
/**
 * `lost`: messages on this topic may have been lost before this one (a cluster's pub/sub is
 * at-most-once: see redis.ts); what was built from them must be made whole. A loss noticed with no
 * message to go with it (the connection came back) comes as an empty message: check the length.
 */
export type BusHandler = (message: Uint8Array, lost: boolean) => void;

export interface Bus {
  publish(topic: string, message: Uint8Array): Promise<void>;
  /** Returns the function that ends the subscription. */
  subscribe(topic: string, handler: BusHandler): Promise<() => void>;
  close(): Promise<void>;
}

/** What is sent to every agent of a session (DOM frames and ServerToAgent messages). */
export const toAgents = (sessionId: string) => `s:${sessionId}:a`;
/** What is sent to one agent of a session, on all of their sockets. */
export const toAgent = (sessionId: string, agentId: string) => `s:${sessionId}:a:${agentId}`;
/** What is sent to the visitor of a session (ServerToVisitor messages, and the bus's `replaced`). */
export const toVisitor = (sessionId: string) => `s:${sessionId}:v`;
/** What is sent to every visitor of a site (settings that changed). */
export const toSite = (siteKey: string) => `site:${siteKey}:v`;
/** What is sent to one page of a present visitor (an invite). */
export const toPresencePage = (pageId: string) => `p:${pageId}`;
/** The stream of session events (schema/events.ts), every session of every node. */
export const SESSION_EVENTS = 'events';
/** A node changed a site's settings: every node drops its cached copy. */
export const SITES_CHANGED = 'sites:changed';
/** A node added a site: every node reloads the list. */
export const SITES_ADDED = 'sites:added';
/** An agent was disabled or signed out everywhere: every node closes that agent's sockets. */
export const AGENTS_REVOKED = 'agents:revoked';
