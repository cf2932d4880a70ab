/**
 * The stream of session events: what happened in a session, in order, for
 * whoever follows it (the metadata writer, the audit trail, and from the
 * integrations issue on webhooks and the controller channel). Published on the bus
 * by the room that saw it happen, never by its subscribers. Metadata only: an
 * action says its kind and target, never what was typed; an address loses its
 * query and fragment.
 */
import { Type, type Static, type TProperties } from 'typebox';
import { ActionId, AgentInfo, ElementPath, EndReason, Id, Mode, Refusal, SiteKey, Strict, Timestamp, Url } from './common.js';
import { ACTION_KINDS } from '../control.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const base = {
  t: Type.Literal('event'),
  /** Per session, from 1, stamped by the registry before publishing: a gap or a step back shows a lost or reordered event. */
  seq: Type.Integer({ minimum: 1 }),
  sessionId: Id,
  siteKey: SiteKey,
  at: Timestamp,
  /** The server node that published it: each node's metadata writer records its own node's events, once. */
  server: Id,
};

const Event = <N extends string, P extends TProperties>(name: N, properties: P, description: string) =>
  Strict({ ...base, name: Type.Literal(name), ...properties }, description);

export const sessionEvents = {
  requested: Event(
    'requested',
    {
      mode: Mode,
      visitor: Strict({
        name: Nullable(Type.String()),
        email: Nullable(Type.String()),
        uniqueId: Nullable(Type.String()),
        verified: Type.Boolean(),
      }),
      startUrl: Nullable(Url),
    },
    'The visitor consented; the session has its code.',
  ),
  started: Event('started', {}, 'The visitor’s page connected for the first time: sharing begins.'),
  agentJoined: Event('agentJoined', { agent: AgentInfo }, 'An agent opened the session (first socket).'),
  agentLeft: Event('agentLeft', { agent: AgentInfo }, 'An agent’s last socket closed.'),
  modeRequested: Event('modeRequested', { agent: AgentInfo, mode: Mode }, 'An agent asked the visitor for a mode.'),
  controlHandedOver: Event(
    'controlHandedOver',
    { agent: AgentInfo, by: Type.Union([AgentInfo, Type.Null()]) },
    'The controls went to `agent`: handed over (or taken, by an admin) by `by`, or passed on when the holder left (by: null).',
  ),
  modeChanged: Event(
    'modeChanged',
    {
      mode: Mode,
      previous: Mode,
      by: Type.Optional(Type.Literal('api', { description: 'an integration lowered it (else the visitor set it)' })),
    },
    'The mode changed: the visitor set it, or an integration lowered it (by: api).',
  ),
  action: Event(
    'action',
    {
      agent: AgentInfo,
      id: ActionId,
      kind: Type.Enum(ACTION_KINDS),
      node: Type.Optional(Type.Integer({ minimum: 1 })),
      url: Type.Optional(Url),
    },
    'An agent sent an action the mode allows (its kind and target, never what was typed or which key).',
  ),
  actionResult: Event(
    'actionResult',
    {
      agent: AgentInfo,
      id: ActionId,
      kind: Type.Enum(ACTION_KINDS),
      ok: Type.Boolean(),
      reason: Type.Optional(Refusal),
      path: Type.Optional(ElementPath),
    },
    'The visitor’s page ran or refused an agent’s action (the `action` with the same agent and id): where it landed, never what.',
  ),
  navigated: Event('navigated', { url: Url }, 'The visitor’s page changed (address without query or fragment).'),
  visitorDisconnected: Event('visitorDisconnected', {}, 'The visitor’s page went (changing page, or the network).'),
  visitorReconnected: Event('visitorReconnected', {}, 'The visitor’s page is back.'),
  ended: Event('ended', { reason: EndReason }, 'The session ended.'),
};

export const SessionEvent = Type.Union(Object.values(sessionEvents) as [(typeof sessionEvents)[keyof typeof sessionEvents]]);

export type SessionEventName = keyof typeof sessionEvents;
export type SessionEvent = { [K in SessionEventName]: Static<(typeof sessionEvents)[K]> }[SessionEventName];
/** An event as its publisher describes it, before the stream stamps seq, server and time. */
export type SessionEventInput = SessionEvent extends infer E
  ? E extends SessionEvent
    ? Omit<E, 't' | 'seq' | 'server' | 'at' | 'sessionId' | 'siteKey'>
    : never
  : never;
export const SESSION_EVENT_NAMES = Object.keys(sessionEvents) as SessionEventName[];
