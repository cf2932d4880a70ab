/**
 * WebSocket handshakes. Everything is checked before the upgrade: the path, the
 * Origin (against cross-site WebSocket hijacking), and a short-lived ticket
 * bound to one live session; or, for controllers, an API key in a header no
 * browser can set on a WebSocket. permessage-deflate stays off: it multiplies memory
 * per connection and invites compression bombs. Pings find peers whose
 * connection died without a word, so a silent visitor is ended in bounded time.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { closeCodes, limits } from '@tandem/protocol';
import type { Bus } from '../bus/bus.js';
import { TICKET_TTL_S, type Tokens } from '../auth/tokens.js';
import type { OriginPolicy } from '../origins.js';
import type { Registry } from '../live/registry.js';
import type { Rooms } from '../live/room.js';
import type { Sites } from '../sites.js';
import type { ShortIds } from '../live/short-ids.js';
import { acceptAgent } from './agent.js';
import { acceptVisitor } from './visitor.js';
import { acceptPresence } from './presence.js';
import { CONTROLLER_SOCKETS_PER_KEY, ControllerHub, acceptController, controllerKey } from './controller.js';
import type { SessionEvents } from '../live/session-events.js';
import type { Store } from '../store/store.js';
import { clientAddressOf, compileTrust, type TrustProxy } from '../net/client-address.js';

/** Presence sockets one client address may hold (a visitor's tabs, or a shared office address). */
const PRESENCE_PER_ADDRESS = 50;

export interface GatewayDeps {
  tokens: Tokens;
  registry: Registry;
  rooms: Rooms;
  bus: Bus;
  origins: OriginPolicy;
  sites: Sites;
  shortIds: ShortIds;
  /** How often every socket is pinged; one that has not answered the last ping by the next is dropped. */
  pingIntervalMs: number;
  /** Whether the agent's sign-in (the one its ticket was issued under) still stands and the agent is enabled. */
  agentSignedIn: (agentId: string, signIn: string) => Promise<boolean>;
  /** The proxies whose X-Forwarded-For is believed, as for the REST API. */
  trustProxy: TrustProxy;
  /** Where API keys are checked (controllers). */
  store: Store;
  /** The session event stream controllers follow. */
  events: SessionEvents;
  report: (err: unknown) => void;
}

export function createGateways(deps: GatewayDeps) {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: limits.maxDomFrameBytes });
  const presenceWss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: limits.maxControlBytes });
  // A message up to 4x the control limit is read and answered TDM_TOO_LARGE; beyond, ws closes with 1009.
  const controllerWss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 * limits.maxControlBytes });
  const controllers = new ControllerHub(deps.events);
  /**
   * Presence sockets open per client address, counted in the registry so every node of a cluster
   * sees the same count. The window only bounds how long a dead node's places stay taken.
   */
  const presencePlaces = deps.registry.rateLimiter({ keyPrefix: 'presence-sockets', points: PRESENCE_PER_ADDRESS, duration: 3600 });
  /** Controller sockets open per API key, counted the same way. */
  const controllerPlaces = deps.registry.rateLimiter({ keyPrefix: 'controller-sockets', points: CONTROLLER_SOCKETS_PER_KEY, duration: 3600 });
  const alive = new WeakSet<WebSocket>();

  const watch = (ws: WebSocket) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
  };
  const heartbeat = setInterval(() => {
    for (const ws of [...wss.clients, ...presenceWss.clients, ...controllerWss.clients]) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, deps.pingIntervalMs);
  heartbeat.unref();

  /** Presence has no ticket: the page's origin and the site's own settings decide. */
  async function onPresence(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const siteKey = url.searchParams.get('site') ?? '';
    if (!deps.origins.visitorOriginAllowed(req.headers.origin, req.headers.host)) return reject(socket, 403, 'Forbidden');
    if (!deps.sites.known(siteKey) || !(await deps.sites.settings(siteKey)).presence) return reject(socket, 403, 'Forbidden');
    const address = clientAddress(req, deps.trustProxy);
    // A place is taken before the upgrade and given back when the socket goes (or never opens).
    const taken = await takePlace(presencePlaces, address);
    if (!taken) return reject(socket, 429, 'Too Many Requests');
    let opened = false;
    presenceWss.handleUpgrade(req, socket, head, (ws) => {
      opened = true;
      ws.on('close', () => void presencePlaces.reward(address).catch(deps.report));
      watch(ws);
      acceptPresence(ws, siteKey, deps, deps.report);
    });
    // A handshake ws refused never calls back: its place is free again.
    if (!opened) await presencePlaces.reward(address);
  }

  /** Controllers have no ticket either: an API key in the Authorization header, and a bounded number of sockets per key. */
  async function onController(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const key = await controllerKey(deps.store, req);
    if (!key) return reject(socket, 401, 'Unauthorized');
    const taken = await takePlace(controllerPlaces, key.id);
    if (!taken) return reject(socket, 429, 'Too Many Requests');
    let opened = false;
    controllerWss.handleUpgrade(req, socket, head, (ws) => {
      opened = true;
      ws.on('close', () => void controllerPlaces.reward(key.id).catch(deps.report));
      watch(ws);
      acceptController(ws, key, controllers, deps, deps.report);
    });
    if (!opened) await controllerPlaces.reward(key.id);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ws/presence') return onPresence(req, socket, head, url);
    if (url.pathname === '/ws/controller') return onController(req, socket, head);
    const role = url.pathname === '/ws/visitor' ? 'visitor' : url.pathname === '/ws/agent' ? 'agent' : null;
    if (!role) return reject(socket, 404, 'Not Found');
    const ticket = await deps.tokens.verifyTicket(url.searchParams.get('ticket') ?? '');
    if (!ticket || ticket.role !== role) return reject(socket, 401, 'Unauthorized');
    // An agent disabled or signed out since the ticket was issued opens nothing with it. A guest
    // (an integrator's agent, through a watch URL) has no account: its grant ends with the session.
    if (ticket.role === 'agent' && 'signIn' in ticket && !(await deps.agentSignedIn(ticket.agentId, ticket.signIn)))
      return reject(socket, 401, 'Unauthorized');
    const session = await deps.registry.getSession(ticket.sessionId);
    if (!session) return reject(socket, 410, 'Gone');
    const origin = req.headers.origin;
    const allowed =
      ticket.role === 'visitor'
        ? deps.origins.visitorOriginAllowed(origin, req.headers.host)
        : deps.origins.sameOrigin(origin, req.headers.host);
    if (!allowed) return reject(socket, 403, 'Forbidden');
    // One socket per ticket: a ticket that leaked, or a client opening sockets by the thousand, gets no second one.
    if (!(await deps.registry.spendTicket(ticket.jti, TICKET_TTL_S * 1000))) return reject(socket, 401, 'Unauthorized');
    // Loaded before the socket opens, so the welcome reads the site's current rules without waiting.
    await deps.sites.settings(session.siteKey);
    // The room is open (on the bus) before the socket is: the client's first message, sent the
    // moment it opens, finds the socket's listeners there. handleUpgrade calls back in the same turn.
    await deps.rooms.enter(session, (room) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        watch(ws);
        if (ticket.role === 'visitor') acceptVisitor(ws, room, deps.report);
        else acceptAgent(ws, room, { id: ticket.agentId, name: ticket.name }, deps.report);
        if (ticket.role === 'agent' && 'signIn' in ticket) {
          signedIn.set(ws, { agentId: ticket.agentId, signIn: ticket.signIn });
          ws.once('close', () => signedIn.delete(ws));
        }
      });
      // A handshake ws refused (a malformed request) put no socket in the room.
      room.releaseIfEmpty();
    });
  }

  // The sign-in behind each agent socket: a revocation the bus lost is found by checking them all again.
  const signedIn = new Map<WebSocket, { agentId: string; signIn: string }>();
  deps.rooms.revocationsLost = async () => {
    for (const [ws, { agentId, signIn }] of [...signedIn]) {
      if (!(await deps.agentSignedIn(agentId, signIn))) ws.close(closeCodes.unauthorized, 'signed out');
    }
  };

  let draining = false;
  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      // Shutting down: a socket opened now would be closed at once; the client goes to another node.
      if (draining) return reject(socket, 503, 'Service Unavailable');
      onUpgrade(req, socket, head).catch((err: unknown) => {
        deps.report(err);
        reject(socket, 500, 'Internal Server Error');
      });
    },
    /**
     * Closes every socket with `code` (4012: reconnect elsewhere; 4000 was sent by the rooms when
     * sessions ended), and drops within a second the peers that do not answer the close.
     */
    async close(code: number, reason: string): Promise<void> {
      clearInterval(heartbeat);
      const open = [...wss.clients, ...presenceWss.clients, ...controllerWss.clients];
      for (const ws of open) ws.close(code, reason);
      const deadline = Date.now() + 1000;
      while (open.some((ws) => ws.readyState !== WebSocket.CLOSED) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of open) ws.terminate();
      wss.close();
      presenceWss.close();
      controllerWss.close();
      await controllers.close();
    },
    clientCount: () => wss.clients.size,
    /** Refuses new sockets from now on (the node is shutting down). */
    drain(): void {
      draining = true;
    },
    /** Sends every client of this node to reconnect (4012), without stopping: they come back here or to another node. */
    reconnectEveryone(): void {
      for (const ws of [...wss.clients, ...presenceWss.clients, ...controllerWss.clients]) ws.close(closeCodes.restart, 'reconnect');
    },
  };
}

/**
 * Takes one of a client's places. rate-limiter-flexible counts a refused consume too: its point is
 * given back at once, or every refused attempt would hold a place until the window ends (and a
 * client at its limit stayed refused after closing sockets).
 */
async function takePlace(places: RateLimiterAbstract, key: string): Promise<boolean> {
  try {
    await places.consume(key);
    return true;
  } catch {
    await places.reward(key);
    return false;
  }
}

/** The client's address as the REST API sees it: forwarded headers count only from trusted proxies. */
function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  return clientAddressOf(req, compileTrust(trust));
}

function reject(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Destroyed once the answer is out: a client that never closes its side must not hold the connection (or a shutdown).
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}
