/**
 * What the watch page and the agent desktop that frames it say to each other
 * with `postMessage` — declared once, for the page, for `<tandem-viewer>` and
 * for integrators (PROTOCOL.md, "Embedding the agent page").
 *
 * The page posts only to its parent's origin, which the browser has already
 * checked against the page's `frame-ancestors` (the agent-desktop origins an
 * admin allowed); it takes commands only from that window and that origin.
 */
import type { AgentInfo } from './schema/common.js';
import type { Mode } from './control.js';

/** Every message carries `source: 'tandem'`, so a desktop that hears other frames can tell ours. */
export const EMBED_SOURCE = 'tandem';

export type EmbedEvent =
  /** The page read its parameters and listens for commands. */
  | { event: 'ready' }
  /** Opening the session (first time). */
  | { event: 'connecting' }
  /** The visitor's page is on screen: sharing runs. Again after each change of page. */
  | { event: 'active'; url: string | null; title: string | null }
  /** The visitor is changing page (their next page will show shortly). */
  | { event: 'navigating' }
  /** The connection to the server dropped; the page is coming back on its own. */
  | { event: 'reconnecting' }
  | { event: 'modeChanged'; mode: Mode }
  | { event: 'agentJoined'; agent: AgentInfo }
  | { event: 'agentLeft'; agent: AgentInfo }
  /**
   * Over: `reason` is how the session ended, or (nothing was shown) the error code of why it
   * could not open — a spent or expired link, a visitor gone or declining, a wrong code.
   */
  | { event: 'ended'; reason: string };

export type EmbedEventName = EmbedEvent['event'];
export const EMBED_EVENTS: readonly EmbedEventName[] = [
  'ready',
  'connecting',
  'active',
  'navigating',
  'reconnecting',
  'modeChanged',
  'agentJoined',
  'agentLeft',
  'ended',
];

export type EmbedCommand =
  /** End the session for everyone. */
  | { command: 'end' }
  /** Leave; the session goes on for the visitor and other agents. */
  | { command: 'leave' }
  /** Ask the visitor for another mode; they see the request and answer it. */
  | { command: 'requestMode'; mode: Mode }
  /** Open a session by its code, for desktops with their own code box (`noinput=1`). */
  | { command: 'join'; code: string };

export type EmbedMessage = { source: typeof EMBED_SOURCE } & EmbedEvent;
export type EmbedCommandMessage = { source: typeof EMBED_SOURCE } & EmbedCommand;

/** A command from the host, checked field by field (it comes from another origin's code). */
export function readEmbedCommand(data: unknown): EmbedCommand | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const d = data as Record<string, unknown>;
  if (d.source !== EMBED_SOURCE) return null;
  switch (d.command) {
    case 'end':
    case 'leave':
      return { command: d.command };
    case 'requestMode':
      return d.mode === 'view' || d.mode === 'navigate' || d.mode === 'control' ? { command: 'requestMode', mode: d.mode } : null;
    case 'join':
      return typeof d.code === 'string' && /^[\d ]{1,20}$/.test(d.code) ? { command: 'join', code: d.code } : null;
    default:
      return null;
  }
}
