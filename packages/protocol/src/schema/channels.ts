/**
 * Every JSON control message of every channel, declared once. Each direction
 * of a channel is a table from the discriminant `t` to the message's schema:
 * the TypeScript unions, the server's validators and the AsyncAPI document are
 * all made from these tables. DOM content never travels here: it rides in
 * binary frames (frame.ts) that the server forwards without decoding.
 *
 *   visitor    — the SDK on the shared page  ⇄ server   (/ws/visitor)
 *   agent      — the viewer of a support agent ⇄ server (/ws/agent)
 *   presence   — a page of a site with presence on ⇄ server (/ws/presence)
 *   controller — an integrator's back end (an agent desktop) ⇄ server: follows one session, ends it, changes its mode (/ws/controller)
 *   bus        — between the nodes of a cluster only; never on a client's socket
 */
import { Type, type Static, type TProperties, type TSchema } from 'typebox';
import {
  ActionId,
  AgentAction,
  AgentInfo,
  ElementPath,
  Ended,
  EndReason,
  ErrorMessage,
  Hello,
  Id,
  Ink,
  InkShown,
  TextRange,
  Identity,
  AgentColor,
  SessionAgent,
  Message,
  Mode,
  PlatformInfo,
  Refusal,
  SelectorCounts,
  SiteKey,
  SiteMasking,
  Strict,
  Timestamp,
  Url,
} from './common.js';
import { limits } from '../limits.js';
import { SessionEvent } from './events.js';

const agentId = Id;
const actionId = ActionId;
const coord = Type.Number({ minimum: -100_000, maximum: 1_000_000 });
const version = Type.Integer({ minimum: 1, maximum: 1000 });

export const visitorToServer = {
  hello: Hello,
  end: Message(
    'end',
    { left: Type.Optional(Type.Boolean()) },
    'The visitor stopped, or (left) followed a link out of the site’s allowed domains.',
  ),
  mode: Message('mode', { mode: Mode }, 'The visitor set the mode: lowered it, or granted an agent’s request.'),
  modeDeclined: Message('modeDeclined', { agentId, mode: Mode }, 'The visitor declined an agent’s request for a mode.'),
  actionResult: Message(
    'actionResult',
    { agentId, id: actionId, ok: Type.Boolean(), reason: Type.Optional(Refusal), path: Type.Optional(ElementPath) },
    'What became of an agent’s action; reason says why it was refused, path where on the page it landed (for the audit).',
  ),
  identity: Message('identity', { identity: Identity }, 'The site updated who the visitor is.'),
  page: Message(
    'page',
    { url: Url },
    'The visitor’s page, sent after each welcome: agents and the audit see where the visitor is (without query or fragment).',
  ),
  selection: Message(
    'selection',
    { range: Type.Union([TextRange, Type.Null()]) },
    'The visitor selected text (positions only), or null: the selection went. Agents see it.',
  ),
  platform: Message(
    'platform',
    { platform: PlatformInfo },
    'The visitor’s browser, system, viewport, language and time zone (never the page’s content), sent after each welcome and when the viewport’s size class changes: agents see it beside the session.',
  ),
  selectorCounts: Message(
    'selectorCounts',
    { selectors: SelectorCounts, blockSelectors: SelectorCounts },
    'How many elements each of the site’s masking and blocking rules matches on this page (null: not a selector here), in the order of the rules of the last welcome or masking; after each of them and, at most every 2 s, when the page changes. Informational: an admin sees a selector work.',
  ),
};

export const serverToVisitor = {
  welcome: Message('welcome', {
    v: version,
    sessionId: Id,
    code: Type.String(),
    agents: Type.Array(SessionAgent),
    mode: Mode,
    masking: SiteMasking,
  }),
  masking: Message('masking', { masking: SiteMasking }, 'The site’s masking rules changed while the session runs.'),
  action: Message(
    'action',
    { agentId, name: Type.String(), id: actionId, a: AgentAction },
    'An agent’s action, to run on the page if the mode and the element allow it.',
  ),
  modeRequest: Message(
    'modeRequest',
    { agentId, name: Type.String(), mode: Mode },
    'An agent asks for a higher mode; the visitor answers with mode or modeDeclined.',
  ),
  setMode: Message(
    'setMode',
    { mode: Mode },
    'The mode was lowered for the visitor (by an integration): the page applies it at once. Never a raise: that is a modeRequest.',
  ),
  agentJoined: Message('agentJoined', { agent: SessionAgent }),
  agentLeft: Message('agentLeft', { agentId }),
  agentPointer: Message(
    'agentPointer',
    { agentId, name: Type.String(), color: AgentColor, x: coord, y: coord },
    'An agent’s pointer in CSS px of the visitor’s viewport, drawn in the agent’s colour; negative when it left the view.',
  ),
  ink: Message('ink', { agentId, color: AgentColor, a: Ink }, 'Ink an agent drew: shown over the page in its colour, and faded by itself.'),
  agentSelection: Message(
    'agentSelection',
    { agentId, color: AgentColor, range: Type.Union([TextRange, Type.Null()]) },
    'An agent selected text in its view (shown over the page in its colour), or null: its selection went.',
  ),
  resync: Message('resync', {}, 'Send a fresh full snapshot: an agent joined or lost frames.'),
  ended: Ended,
  error: ErrorMessage,
};

export const agentToServer = {
  hello: Hello,
  pointer: Message('pointer', { x: coord, y: coord }, 'The agent’s pointer, in CSS px of the visitor’s viewport.'),
  pointerLeave: Message('pointerLeave', {}, 'The agent’s pointer left the view.'),
  resync: Message('resync', {}, 'Ask for a fresh snapshot (the viewer saw a gap).'),
  leave: Message('leave', { end: Type.Optional(Type.Boolean()) }, 'The agent leaves; end: true ends the session for everyone.'),
  action: Message('action', { id: actionId, a: AgentAction }, 'An action on the visitor’s page.'),
  requestMode: Message('requestMode', { mode: Mode }, 'Ask the visitor for another mode.'),
  ink: Message('ink', { a: Ink }, 'Draw over the page: a stroke, the laser, or clear all ink.'),
  handOver: Message(
    'handOver',
    { to: agentId },
    'Give the controls to another agent of the session; only the agent holding them may (or anyone while nobody does).',
  ),
  askControl: Message('askControl', {}, 'Ask the agent holding the controls to hand them over (it sees controlAsked).'),
  selection: Message(
    'selection',
    { range: Type.Union([TextRange, Type.Null()]) },
    'The agent selected text in its view (positions only), or null: shown to the visitor and the other agents.',
  ),
};

export const serverToAgent = {
  welcome: Message('welcome', {
    v: version,
    sessionId: Id,
    you: SessionAgent,
    /** The agents in the session as this one joins, itself among them (the console's roster). */
    agents: Type.Array(SessionAgent, { maxItems: 100 }),
    visitor: Type.Object(
      {
        name: Type.Union([Type.String(), Type.Null()]),
        connected: Type.Boolean(),
        /** The visitor's browser as their page last said it; null until it has. */
        platform: Type.Union([PlatformInfo, Type.Null()]),
      },
      { additionalProperties: false },
    ),
    mode: Mode,
    /** The agent holding the controls (its clicks and typing reach the page); null while none does. */
    controlBy: Type.Union([agentId, Type.Null()]),
  }),
  mode: Message('mode', { mode: Mode }, 'The session’s mode changed (the visitor chose it).'),
  modeDeclined: Message('modeDeclined', { mode: Mode }),
  actionResult: Message('actionResult', {
    id: actionId,
    ok: Type.Boolean(),
    reason: Type.Optional(Refusal),
    message: Type.Optional(Type.String()),
  }),
  visitorIdentity: Message('visitorIdentity', { name: Type.Union([Type.String(), Type.Null()]) }),
  visitorStatus: Message(
    'visitorStatus',
    { connected: Type.Boolean() },
    'The visitor’s page connected, or went (changing page, or the network).',
  ),
  visitorPlatform: Message(
    'visitorPlatform',
    { platform: PlatformInfo },
    'The visitor’s browser, system, viewport, language or time zone changed (a new page said it, the window was resized).',
  ),
  agentJoined: Message('agentJoined', { agent: SessionAgent }),
  agentLeft: Message('agentLeft', { agentId }),
  agentPointer: Message(
    'agentPointer',
    { agentId, name: Type.String(), color: AgentColor, x: coord, y: coord },
    'Another agent’s pointer, in CSS px of the visitor’s viewport; negative when it left the view. Never the agent’s own.',
  ),
  ink: Message(
    'ink',
    { agentId, name: Type.String(), color: AgentColor, a: InkShown },
    'Ink of another agent (or an element it highlighted), in its colour. Never the agent’s own.',
  ),
  agentSelection: Message(
    'agentSelection',
    { agentId, name: Type.String(), color: AgentColor, range: Type.Union([TextRange, Type.Null()]) },
    'Another agent’s text selection, or null. Never the agent’s own.',
  ),
  controlHolder: Message(
    'controlHolder',
    { agentId: Type.Union([agentId, Type.Null()]) },
    'Who holds the controls now (handed over, or the holder left); null while no agent is there.',
  ),
  controlAsked: Message(
    'controlAsked',
    { agentId, name: Type.String() },
    'Another agent asks this one, which holds the controls, to hand them over.',
  ),
  visitorSelection: Message('visitorSelection', { range: Type.Union([TextRange, Type.Null()]) }, 'The visitor’s text selection, or null.'),
  ended: Ended,
  error: ErrorMessage,
};

export const presenceToServer = {
  here: Message(
    'here',
    {
      visitorId: Type.String({ minLength: 8, maxLength: 64 }),
      identity: Identity,
      url: Url,
      title: Type.String({ maxLength: 300 }),
      platform: PlatformInfo,
    },
    'The visitor is on a page of the site (sent once per page).',
  ),
  declineInvite: Message('declineInvite', { token: Id }),
};

export const serverToPresence = {
  listed: Message(
    'listed',
    { shortId: Type.String({ minLength: 8, maxLength: 8 }) },
    'The page is listed; the visitor’s short id (stable for this browser) is what they read out and what a watch URL is asked for.',
  ),
  invite: Message(
    'invite',
    { token: Id, agent: Type.String() },
    'An agent invites the visitor; accepting starts a session through REST with invite: token.',
  ),
  error: ErrorMessage,
};

/** Session codes as a person may type them: digits, and spaces or hyphens that do not count. */
const SessionCode = Type.String({ minLength: 1, maxLength: 20, pattern: '^[0-9 -]+$' });
/** A controller's notification: what happened in the session it follows, and when (the session event's time). */
const Notification = <T extends string, P extends TProperties>(t: T, properties: P, description: string) =>
  Message(t, { ...properties, at: Timestamp }, description);

export const controllerToServer = {
  hello: Hello,
  join: Message(
    'join',
    { code: Type.Optional(SessionCode), sessionId: Type.Optional(Id) },
    'Follow one live session, by the code the visitor gave (or their start message’s) or by its id: exactly one of the two. Once per socket.',
  ),
  end: Message('end', {}, 'End the session for everyone (reason api).'),
  setMode: Message(
    'setMode',
    {
      mode: Mode,
      name: Type.Optional(Type.String({ minLength: 1, maxLength: limits.maxIdentityField })),
    },
    'Change the mode. Lower: applied at once, and the visitor’s page follows. Higher: the visitor is asked, with name (default “Support”) as the one asking.',
  ),
};

/** What a controller sees of a session when it joins: later notifications change it, in order. */
export const ControllerState = Strict({
  /** Since when the visitor’s page shares now (connected); null while no page of theirs is connected. */
  activatedAt: Type.Union([Timestamp, Type.Null()]),
  visitorConnected: Type.Boolean(),
  /** A page of the visitor has connected at least once. */
  started: Type.Boolean(),
  mode: Mode,
  agents: Type.Array(AgentInfo),
  visitorName: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});

export const serverToController = {
  welcome: Message('welcome', { v: version }),
  joined: Message(
    'joined',
    { sessionId: Id, code: Type.String(), siteKey: SiteKey, state: ControllerState },
    'The answer to join: the session (its id is the history id of GET /api/v1/sessions/{id}) and its state now; notifications follow from this state, none lost or repeated.',
  ),
  activated: Notification('activated', {}, 'The visitor’s page connected: sharing began, or resumed after a page change.'),
  deactivated: Notification('deactivated', {}, 'The visitor’s page went (changing page, or the network); activated follows if it comes back.'),
  modeChanged: Notification('modeChanged', { mode: Mode, previous: Mode }, 'The mode changed.'),
  modeDeclined: Message('modeDeclined', { mode: Mode }, 'The visitor declined this controller’s request for a higher mode.'),
  agentJoined: Notification('agentJoined', { agent: AgentInfo }, 'An agent opened the session.'),
  agentLeft: Notification('agentLeft', { agent: AgentInfo }, 'An agent’s last viewer closed.'),
  ended: Notification('ended', { reason: EndReason }, 'The session ended; the socket closes with 4000 next.'),
  result: Message(
    'result',
    { command: Type.Enum(['end', 'setMode'] as const), outcome: Type.Enum(['done', 'asked', 'unchanged'] as const) },
    'What became of a command: done, asked (the visitor must grant a higher mode) or unchanged (the session was in that mode). Answers come in the order of the commands.',
  ),
  error: ErrorMessage,
};

/** What only the bus carries, between the nodes of a cluster. */
export const busMessages = {
  /** A newer visitor socket took the session: every other one closes with 4013 (moved). */
  replaced: Message('replaced', { by: Id }, 'A newer visitor socket took the session; older ones close with 4013.'),
  event: SessionEvent,
};

export type MessageTable = Record<string, TSchema>;
/** The union of the messages of a table. */
export type MessageOf<T extends MessageTable> = { [K in keyof T]: Static<T[K]> }[keyof T];

export type VisitorToServer = MessageOf<typeof visitorToServer>;
export type ServerToVisitor = MessageOf<typeof serverToVisitor>;
export type AgentToServer = MessageOf<typeof agentToServer>;
export type ServerToAgent = MessageOf<typeof serverToAgent>;
export type PresenceToServer = MessageOf<typeof presenceToServer>;
export type ServerToPresence = MessageOf<typeof serverToPresence>;
export type ControllerToServer = MessageOf<typeof controllerToServer>;
export type ServerToController = MessageOf<typeof serverToController>;
export type BusMessage = MessageOf<typeof busMessages>;

/** Every channel a client can open, for the AsyncAPI document and the conformance fixtures. */
export const channels = {
  visitor: {
    address: '/ws/visitor',
    title: 'Visitor',
    description: 'The SDK on the shared page. Opened with a ticket from POST /api/v1/visitor/sessions.',
    receive: visitorToServer,
    send: serverToVisitor,
  },
  agent: {
    address: '/ws/agent',
    title: 'Agent',
    description: 'A support agent’s viewer. Opened with a ticket from POST /api/v1/sessions/join.',
    receive: agentToServer,
    send: serverToAgent,
  },
  presence: {
    address: '/ws/presence',
    title: 'Presence',
    description: 'A page of a site that turned presence on; no ticket, the Origin and the site decide.',
    receive: presenceToServer,
    send: serverToPresence,
  },
  controller: {
    address: '/ws/controller',
    title: 'Controller',
    description:
      'An integrator’s back end (an agent desktop’s plug-in) following and steering one session: `Authorization: Bearer tdm_…` on the upgrade request.',
    receive: controllerToServer,
    send: serverToController,
  },
} as const;
