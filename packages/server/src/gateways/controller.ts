/**
 * The controller gateway: an integrator's back end (an agent desktop's
 * plug-in) follows one session per socket, as Genesys's controller does: it
 * joins with the code the visitor gave (or the session's id) *before* the
 * agent page opens, gets the state at once, then each change in order; it can
 * end the session and change its mode (a raise is only a request: the
 * visitor's page asks them).
 *
 * It authenticates with an API key (`Authorization: Bearer tdm_…` on the
 * upgrade request), never with an agent's sign-in cookie: a browser cannot set
 * that header on a WebSocket, so no page can open this channel with
 * credentials its browser holds (no cross-site WebSocket hijacking), and the
 * Origin is not needed. A site's key reaches its site's sessions only; another
 * site's session answers as one that does not exist. What a controller sees is
 * metadata (times, mode, agents' names), never page content.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { closeCodes, isMode, modeRank, type AgentInfo, type Mode, type ServerToController, type SessionEvent } from '@tandem/protocol';
import { validateControllerMessage } from '@tandem/protocol/schema';
import { toAgent, type Bus } from '../bus/bus.js';
import { hashApiKey, verifyApiKey } from '../auth/api-keys.js';
import type { Registry } from '../live/registry.js';
import type { Rooms } from '../live/room.js';
import type { SessionEvents } from '../live/session-events.js';
import type { Store } from '../store/store.js';
import { encode, peekType } from '../live/wire.js';
import { negotiate, onMessages, parseControl, requireHello, sendError } from './connection.js';
import { ControllerView } from './controller-view.js';

/** Controller sockets one API key may hold open, on all nodes together (one per session it follows). */
export const CONTROLLER_SOCKETS_PER_KEY = 500;
/** A controller sends a few commands per session: ten a second, twenty in a burst, is plenty. */
const MESSAGES_PER_SECOND = 10;
const BURST = 20;
/** Wrong codes a key may try a minute, as for agents: the codes are not a namespace to walk. */
const WRONG_CODES_PER_MINUTE = 10;
/** Who asks the visitor for a higher mode, unless the command names someone. */
export const DEFAULT_REQUESTER_NAME = 'Support';

/** The API key a controller socket opened with. */
export interface ControllerKey {
  id: string;
  /** Null: an admin key, which reaches every site. */
  siteKey: string | null;
  /** Kept to check, at each command, that the key still stands. */
  hash: string;
}

export interface ControllerDeps {
  store: Store;
  registry: Registry;
  rooms: Rooms;
  events: SessionEvents;
  bus: Bus;
}

/** The key of an upgrade request's `Authorization: Bearer tdm_…`, or null. */
export async function controllerKey(store: Store, req: IncomingMessage): Promise<ControllerKey | null> {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string' || !auth.startsWith('Bearer ')) return null;
  const key = await verifyApiKey(store, auth.slice(7));
  // As for REST (auth/principal.ts): a key that is neither an admin's nor a site's reaches nothing.
  if (!key || (!key.admin && key.siteKey === null)) return null;
  return { id: key.id, siteKey: key.admin ? null : key.siteKey, hash: hashApiKey(auth.slice(7)) };
}

/**
 * The session event stream, followed once per node for all its controller
 * sockets (from the first one on), and handed to the sockets of each session.
 */
export class ControllerHub {
  private readonly bySession = new Map<string, Set<(e: SessionEvent) => void>>();
  private subscription: Promise<() => void> | null = null;

  constructor(private readonly events: SessionEvents) {}

  /** Resolves once `follower` gets every event of the session published from now on; returns the function that stops. */
  async follow(sessionId: string, follower: (e: SessionEvent) => void): Promise<() => void> {
    if (!this.subscription) {
      const subscribing = this.events.followAll((e) => {
        for (const f of this.bySession.get(e.sessionId) ?? []) f(e);
      });
      // A bus that failed once is asked again by the next join, not refused for ever.
      subscribing.catch(() => {
        if (this.subscription === subscribing) this.subscription = null;
      });
      this.subscription = subscribing;
    }
    await this.subscription;
    let set = this.bySession.get(sessionId);
    if (!set) this.bySession.set(sessionId, (set = new Set()));
    set.add(follower);
    return () => {
      set.delete(follower);
      if (set.size === 0 && this.bySession.get(sessionId) === set) this.bySession.delete(sessionId);
    };
  }

  async close(): Promise<void> {
    const off = await this.subscription?.catch(() => null);
    off?.();
    this.bySession.clear();
  }
}

interface Joined {
  id: string;
  siteKey: string;
  view: ControllerView;
  stop: () => void;
}

export function acceptController(
  ws: WebSocket,
  key: ControllerKey,
  hub: ControllerHub,
  deps: ControllerDeps,
  report: (err: unknown) => void,
): void {
  const { registry, rooms, store, bus } = deps;
  const wrongCodes = registry.rateLimiter({
    keyPrefix: 'controller-wrong-codes',
    points: WRONG_CODES_PER_MINUTE,
    duration: 60,
    blockDuration: 60,
  });
  /** The visitor's answer to this key's requests comes back on the topic of this id, as an agent's does. */
  const requesterId = `key:${key.id}`;
  const sees = (siteKey: string) => key.siteKey === null || key.siteKey === siteKey;
  let ready = false;
  let joined: Joined | null = null;

  // Notifications wait while a command runs, so its answer comes first, then what it caused.
  let busy = false;
  const queued: ServerToController[] = [];
  const emit = (msg: ServerToController) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(encode.controller(msg), { binary: false });
    if (msg.t === 'ended') ws.close(closeCodes.sessionEnded, 'session ended');
  };
  const notify = (msg: ServerToController) => (busy ? queued.push(msg) : emit(msg));

  requireHello(ws, () => ready);

  onMessages(
    ws,
    MESSAGES_PER_SECOND,
    BURST,
    async (data, isBinary) => {
      if (isBinary) return sendError(ws, 'TDM_BAD_MESSAGE', 'Controllers send JSON messages only.');
      const parsed = parseControl(ws, data, validateControllerMessage);
      if (!parsed.ok) return;
      const msg = parsed.msg;
      if (msg.t === 'hello') {
        if (ready) return;
        const version = negotiate(ws, msg.versions);
        if (version === null) return;
        ready = true;
        return emit({ t: 'welcome', v: version });
      }
      if (!ready) return sendError(ws, 'TDM_NOT_READY');
      // A key revoked (or deleted) since the socket opened commands nothing more.
      const current = await store.findApiKeyByHash(key.hash);
      if (!current || current.revokedAt) {
        sendError(ws, 'TDM_UNAUTHORIZED', 'The API key was revoked.');
        return ws.close(closeCodes.unauthorized, 'key revoked');
      }
      busy = true;
      try {
        if (msg.t === 'join') return await join(msg.code, msg.sessionId);
        if (!joined) return sendError(ws, 'TDM_NOT_JOINED');
        if (msg.t === 'end') return await end(joined);
        return await setMode(joined, msg.mode, msg.name ?? DEFAULT_REQUESTER_NAME);
      } finally {
        busy = false;
        for (const m of queued.splice(0)) emit(m);
      }
    },
    () => {
      joined?.stop();
      joined = null;
    },
    report,
  );

  async function join(code: string | undefined, sessionId: string | undefined): Promise<void> {
    if (joined) return sendError(ws, 'TDM_CONFLICT', 'This socket follows a session already; open another socket for another session.');
    if ((code === undefined) === (sessionId === undefined)) return sendError(ws, 'TDM_BAD_MESSAGE', 'Give either code or sessionId.');
    let found;
    if (code !== undefined) {
      if ((await wrongCodes.get(key.id))?.remainingPoints === 0)
        return sendError(ws, 'TDM_RATE_LIMITED', 'Too many wrong codes; wait a minute.');
      found = await registry.findByCode(code);
      // Another site's session is, to this key, a code nobody has.
      if (!found || !sees(found.siteKey)) {
        await wrongCodes.consume(key.id).catch(() => {});
        return sendError(ws, 'TDM_UNKNOWN_CODE');
      }
    } else {
      found = await registry.getSession(sessionId!);
      if (!found || !sees(found.siteKey)) {
        const stored = await store.getSession(sessionId!);
        return sendError(ws, stored && sees(stored.siteKey) ? 'TDM_SESSION_ENDED' : 'TDM_NOT_FOUND');
      }
    }
    const { id, siteKey } = found;
    // Follow first, read the state after: see controller-view.ts for why nothing is lost or repeated.
    const view = new ControllerView(notify);
    const unfollow = await hub.follow(id, (e) => view.push(e));
    const undecline = await bus.subscribe(toAgent(id, requesterId), (m) => {
      const peek = peekType(m);
      if (peek?.t === 'modeDeclined' && isMode(peek.value.mode)) notify({ t: 'modeDeclined', mode: peek.value.mode });
    });
    const stop = () => {
      view.stop();
      unfollow();
      undecline();
    };
    if (ws.readyState !== ws.OPEN) return stop();
    const read = await registry.sessionWithSeq(id);
    if (!read) {
      stop();
      return sendError(ws, 'TDM_SESSION_ENDED');
    }
    joined = { id, siteKey, view, stop };
    const s = read.session;
    emit({
      t: 'joined',
      sessionId: s.id,
      code: s.code,
      siteKey: s.siteKey,
      state: {
        activatedAt: s.activeSince,
        visitorConnected: s.visitorSockets > 0,
        started: s.started,
        mode: s.mode,
        agents: s.agents.map(({ id: agentId, name }) => ({ id: agentId, name })),
        visitorName: s.visitorName,
        createdAt: s.createdAt,
      },
    });
    view.start(s, read.seq);
  }

  async function end(j: Joined): Promise<void> {
    if (!(await rooms.end(j.id, 'api'))) return sendError(ws, 'TDM_SESSION_ENDED');
    emit({ t: 'result', command: 'end', outcome: 'done' });
  }

  /** Lower: at once. Higher: the visitor is asked. Looked at again if the mode moved under the command. */
  async function setMode(j: Joined, mode: Mode, name: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = await registry.getSession(j.id);
      if (!s) return sendError(ws, 'TDM_SESSION_ENDED');
      if (s.mode === mode) return emit({ t: 'result', command: 'setMode', outcome: 'unchanged' });
      if (modeRank[mode] > modeRank[s.mode]) {
        const requester: AgentInfo = { id: requesterId, name };
        await rooms.askMode(s, requester, mode);
        return emit({ t: 'result', command: 'setMode', outcome: 'asked' });
      }
      if (await rooms.lowerMode(s, mode)) return emit({ t: 'result', command: 'setMode', outcome: 'done' });
    }
    sendError(ws, 'TDM_CONFLICT', 'The mode kept changing meanwhile; send the command again.');
  }
}
