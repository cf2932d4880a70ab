/**
 * The JSON control messages of the three channels. DOM content does not travel
 * here: it rides in binary frames (see frame.ts) that the server forwards without
 * decoding. Every message has a discriminant `t`.
 *
 *   visitor    — the SDK on the shared page  ⇄ server
 *   agent      — the viewer of a support agent ⇄ server
 *   controller — an integrator's back end (chat, CRM) ⇄ server, events only
 */
import { arrayOf, bool, int, num, oneOf, optional, shape, str, type Checker } from './check.js';
import { limits } from './limits.js';
import type { ErrorCode } from './errors.js';
import { KEYS, MAX_TYPED_CHARS, MAX_URL_CHARS, MODES, refusals, type ActionKind, type AgentAction, type Mode, type Refusal } from './control.js';

export interface Hello {
  t: 'hello';
  /** Protocol versions the client speaks. */
  versions: number[];
}

export interface AgentInfo {
  id: string;
  name: string;
}

/** left: the visitor went to a page outside the site's allowed domains. */
export type EndReason = 'visitor' | 'agent' | 'api' | 'timeout' | 'server' | 'left';

// ---- visitor channel -------------------------------------------------------

/** Masking rules a site's settings add to what the page's `init` gives (see MaskOptions in mirror). */
export interface SiteMasking {
  selectors?: string[];
  blockSelectors?: string[];
}

export type VisitorToServer =
  | Hello
  /** The visitor stopped, or (`left`) followed a link out of the site's allowed domains. */
  | { t: 'end'; left?: boolean }
  /** The visitor set the mode: lowered it, or granted an agent's request. */
  | { t: 'mode'; mode: Mode }
  | { t: 'modeDeclined'; agentId: string; mode: Mode }
  /** What became of an agent's action; `reason` says why it was refused. */
  | { t: 'actionResult'; agentId: string; id: number; ok: boolean; reason?: Refusal }
  | { t: 'identity'; identity: Identity };

export type ServerToVisitor =
  | { t: 'welcome'; v: number; sessionId: string; code: string; agents: AgentInfo[]; mode: Mode; masking: SiteMasking }
  /** The site's masking rules changed while the session runs. */
  | { t: 'masking'; masking: SiteMasking }
  /** An agent's action, to run on the page if the mode and the element allow it. */
  | { t: 'action'; agentId: string; name: string; id: number; a: AgentAction }
  /** An agent asks for a higher mode; the visitor answers with `mode` or `modeDeclined`. */
  | { t: 'modeRequest'; agentId: string; name: string; mode: Mode }
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
  | { t: 'leave'; end?: boolean }
  /** An action on the visitor's page; `id` (the agent's own counter) comes back in `actionResult`. */
  | { t: 'action'; id: number; a: AgentAction }
  | { t: 'requestMode'; mode: Mode };

export type ServerToAgent =
  | {
      t: 'welcome';
      v: number;
      sessionId: string;
      you: AgentInfo;
      visitor: { name: string | null; connected: boolean };
      mode: Mode;
    }
  /** The session's mode changed (the visitor chose it). */
  | { t: 'mode'; mode: Mode }
  | { t: 'modeDeclined'; mode: Mode }
  | { t: 'actionResult'; id: number; ok: boolean; reason?: Refusal; message?: string }
  | { t: 'visitorIdentity'; name: string | null }
  | { t: 'visitorStatus'; connected: boolean }
  | { t: 'agentJoined'; agent: AgentInfo }
  | { t: 'agentLeft'; agentId: string }
  | { t: 'ended'; reason: EndReason }
  | { t: 'error'; code: ErrorCode; message: string };

// ---- presence channel (only when the site turned presence on) --------------

/** What an agent sees of a visitor's browser, for look-up and support. */
export interface PlatformInfo {
  browser: string;
  os: string;
  /** "width x height" in CSS px. */
  viewport: string;
  language: string;
  timeZone: string;
}

export type PresenceToServer =
  /** The visitor is on a page of the site (sent once per page). */
  | { t: 'here'; visitorId: string; identity: Identity; url: string; title: string; platform: PlatformInfo }
  | { t: 'declineInvite'; token: string };

export type ServerToPresence =
  /**
   * An agent invites the visitor to share. `token` is the invite's secret, sent
   * only here: accepting starts a session through REST with `invite: token`.
   */
  | { t: 'invite'; token: string; agent: string }
  | { t: 'error'; code: ErrorCode; message: string };

// ---- controller channel ----------------------------------------------------

export type SessionEventName = 'sessionRequested' | 'agentJoined' | 'sessionActive' | 'sessionEnded';

export type ControllerToServer = Hello | { t: 'subscribe'; sessionId?: string };

export type ServerToController =
  | { t: 'welcome'; v: number }
  | { t: 'sessionEvent'; event: SessionEventName; sessionId: string; at: string; agent?: AgentInfo; reason?: EndReason }
  | { t: 'error'; code: ErrorCode; message: string };

// ---- validators the server runs on every message it receives ---------------
// (The visitor bundle imports none of them: this package has no side effects, so
// bundlers drop what a client does not use.)

const node = int(1, 2 ** 31 - 1);
const offset = int(-100_000, 100_000);

const actionByKind: Record<ActionKind, Checker> = {
  highlight: shape({ k: oneOf('highlight'), node }),
  click: shape({ k: oneOf('click'), node, x: offset, y: offset, double: optional(bool) }),
  type: shape({ k: oneOf('type'), node, text: str(MAX_TYPED_CHARS, 1) }),
  key: shape({ k: oneOf('key'), node, key: oneOf(...KEYS), shift: optional(bool) }),
  select: shape({ k: oneOf('select'), node, indexes: arrayOf(int(0, 100_000), 1000) }),
  check: shape({ k: oneOf('check'), node, checked: bool }),
  scroll: shape({ k: oneOf('scroll'), node, x: int(0, 10_000_000), y: int(0, 10_000_000) }),
  navigate: shape({ k: oneOf('navigate'), url: str(MAX_URL_CHARS, 1) }),
};

const validateAction: Checker = (v) => {
  const k = (v as { k?: unknown } | null)?.k;
  if (typeof k !== 'string' || !(k in actionByKind)) return 'unknown action';
  return actionByKind[k as ActionKind](v);
};

const modeChecker: Checker = oneOf(...MODES);


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

const agentId = str(64, 1);
const actionId = int(0, 2 ** 31 - 1);

export const validateVisitorMessage = byType({
  hello,
  end: shape({ t: t('end'), left: optional(bool) }),
  mode: shape({ t: t('mode'), mode: modeChecker }),
  modeDeclined: shape({ t: t('modeDeclined'), agentId, mode: modeChecker }),
  actionResult: shape({ t: t('actionResult'), agentId, id: actionId, ok: bool, reason: optional(oneOf(...Object.keys(refusals))) }),
  identity: (v) => shape({ t: t('identity'), identity: (i) => validateIdentity(i) })(v),
});

export const validateAgentMessage = byType({
  hello,
  pointer: shape({ t: t('pointer'), x: coord, y: coord }),
  pointerLeave: shape({ t: t('pointerLeave') }),
  resync: shape({ t: t('resync') }),
  leave: shape({ t: t('leave'), end: optional(bool) }),
  action: shape({ t: t('action'), id: actionId, a: validateAction }),
  requestMode: shape({ t: t('requestMode'), mode: modeChecker }),
});

const short = (max: number) => str(max);
const platform = shape({ browser: short(100), os: short(100), viewport: short(30), language: short(35), timeZone: short(64) });

export const validatePresenceMessage = byType({
  here: (v) =>
    shape({
      t: t('here'),
      visitorId: str(64, 8),
      identity: (i) => validateIdentity(i),
      url: str(2048),
      title: str(300),
      platform,
    })(v),
  declineInvite: shape({ t: t('declineInvite'), token: str(64, 1) }),
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
  /**
   * HMAC-SHA256 of `uniqueId` with the site's identity secret, hex, computed by
   * the site's own server: proves the unique id is the site's word, not the page's.
   */
  signature?: string;
}

export const validateIdentity = shape({
  name: optional(str(limits.maxIdentityField)),
  email: optional(str(limits.maxIdentityField)),
  uniqueId: optional(str(limits.maxIdentityField)),
  signature: optional(str(64, 64)),
});
