/**
 * The JSON control messages of the three channels. DOM content does not travel
 * here: it rides in binary frames (see frame.ts) that the server forwards without
 * decoding. Every message has a discriminant `t`.
 *
 *   visitor    — the SDK on the shared page  ⇄ server
 *   agent      — the viewer of a support agent ⇄ server
 *   controller — an integrator's back end (chat, CRM) ⇄ server, events only
 */
import { arrayOf, int, num, oneOf, optional, shape, str, type Checker } from './check.js';
import { limits } from './limits.js';
import type { ErrorCode } from './errors.js';

export interface Hello {
  t: 'hello';
  /** Protocol versions the client speaks. */
  versions: number[];
}

export interface AgentInfo {
  id: string;
  name: string;
}

export type EndReason = 'visitor' | 'agent' | 'api' | 'timeout' | 'server';

// ---- visitor channel -------------------------------------------------------

export type VisitorToServer = Hello | { t: 'end' };

export type ServerToVisitor =
  | { t: 'welcome'; v: number; sessionId: string; code: string; agents: AgentInfo[] }
  | { t: 'agentJoined'; agent: AgentInfo }
  | { t: 'agentLeft'; agentId: string }
  /** An agent's pointer, in CSS pixels of the visitor's viewport. */
  | { t: 'agentPointer'; agentId: string; name: string; x: number; y: number }
  /** Send a fresh full snapshot: an agent joined or lost frames. */
  | { t: 'resync' }
  | { t: 'ended'; reason: EndReason }
  | { t: 'error'; code: ErrorCode; message: string };

// ---- agent channel ---------------------------------------------------------

export type AgentToServer =
  | Hello
  /** The agent's pointer, in CSS pixels of the visitor's viewport; null when it left the view. */
  | { t: 'pointer'; x: number; y: number }
  | { t: 'pointerLeave' }
  /** Ask for a fresh snapshot (the viewer saw a gap). */
  | { t: 'resync' }
  /** The agent leaves; `end: true` ends the session for everyone. */
  | { t: 'leave'; end?: boolean };

export type ServerToAgent =
  | {
      t: 'welcome';
      v: number;
      sessionId: string;
      you: AgentInfo;
      visitor: { name: string | null; connected: boolean };
    }
  | { t: 'visitorStatus'; connected: boolean }
  | { t: 'agentJoined'; agent: AgentInfo }
  | { t: 'agentLeft'; agentId: string }
  | { t: 'ended'; reason: EndReason }
  | { t: 'error'; code: ErrorCode; message: string };

// ---- controller channel ----------------------------------------------------

export type SessionEventName = 'sessionRequested' | 'agentJoined' | 'sessionActive' | 'sessionEnded';

export type ControllerToServer = Hello | { t: 'subscribe'; sessionId?: string };

export type ServerToController =
  | { t: 'welcome'; v: number }
  | { t: 'sessionEvent'; event: SessionEventName; sessionId: string; at: string; agent?: AgentInfo; reason?: EndReason }
  | { t: 'error'; code: ErrorCode; message: string };

// ---- validators the server runs on every message it receives ---------------

const t = (name: string): Checker => oneOf(name);
const hello = shape({ t: t('hello'), versions: arrayOf(int(1, 1000), 16) });
const coord = num(-100_000, 1_000_000);

function byType(table: Record<string, Checker>): (value: unknown) => string | null {
  return (value) => {
    const type = (value as { t?: unknown } | null)?.t;
    if (typeof type !== 'string' || !(type in table)) return 'unknown message type';
    return table[type]!(value);
  };
}

export const validateVisitorMessage = byType({
  hello,
  end: shape({ t: t('end') }),
});

export const validateAgentMessage = byType({
  hello,
  pointer: shape({ t: t('pointer'), x: coord, y: coord }),
  pointerLeave: shape({ t: t('pointerLeave') }),
  resync: shape({ t: t('resync') }),
  leave: shape({ t: t('leave'), end: optional((v) => (typeof v === 'boolean' ? null : 'expected a boolean')) }),
});

export const validateControllerMessage = byType({
  hello,
  subscribe: shape({ t: t('subscribe'), sessionId: optional(str(64, 1)) }),
});

/** Identity a visitor's site passes to `init`; bounded like every other input. */
export interface Identity {
  name?: string;
  email?: string;
  uniqueId?: string;
}

export const validateIdentity = shape({
  name: optional(str(limits.maxIdentityField)),
  email: optional(str(limits.maxIdentityField)),
  uniqueId: optional(str(limits.maxIdentityField)),
});
