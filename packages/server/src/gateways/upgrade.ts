/**
 * WebSocket handshakes. Everything is checked before the upgrade: the path, the
 * Origin (against cross-site WebSocket hijacking), and a short-lived ticket
 * bound to one live session. permessage-deflate stays off: it multiplies memory
 * per connection and invites compression bombs.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { limits } from '@tandem/protocol';
import type { Bus } from '../bus/bus.js';
import type { Tokens } from '../auth/tokens.js';
import type { LiveSessions } from '../live/sessions.js';
import type { OriginPolicy } from '../origins.js';
import { acceptAgent } from './agent.js';
import { acceptVisitor } from './visitor.js';
import type { Sites } from '../sites.js';
import type { Presence } from '../live/presence.js';
import { acceptPresence } from './presence.js';
import { clientAddressOf, compileTrust, type TrustProxy } from '../net/client-address.js';

/** Presence sockets one client address may hold (a visitor's tabs, or a shared office address). */
const PRESENCE_PER_ADDRESS = 50;

export interface GatewayDeps {
  tokens: Tokens;
  sessions: LiveSessions;
  bus: Bus;
  origins: OriginPolicy;
  sites: Sites;
  presence: Presence;
  /** The proxies whose X-Forwarded-For is believed, as for the REST API. */
  trustProxy: TrustProxy;
}

export function createGateways(deps: GatewayDeps) {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: limits.maxDomFrameBytes });
  const presenceWss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: limits.maxControlBytes });
  const presenceByAddress = new Map<string, number>();

  /** Presence has no ticket: the page's origin and the site's own settings decide. */
  async function onPresence(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const siteKey = url.searchParams.get('site') ?? '';
    if (!deps.origins.visitorOriginAllowed(req.headers.origin, req.headers.host)) return reject(socket, 403, 'Forbidden');
    if (!deps.sites.known(siteKey) || !(await deps.sites.settings(siteKey)).presence) return reject(socket, 403, 'Forbidden');
    const address = clientAddress(req, deps.trustProxy);
    if ((presenceByAddress.get(address) ?? 0) >= PRESENCE_PER_ADDRESS) return reject(socket, 429, 'Too Many Requests');
    presenceWss.handleUpgrade(req, socket, head, (ws) => {
      // Counted once open: a handshake ws aborts never calls back, and must not hold a place.
      presenceByAddress.set(address, (presenceByAddress.get(address) ?? 0) + 1);
      ws.on('close', () => {
        const n = (presenceByAddress.get(address) ?? 1) - 1;
        if (n > 0) presenceByAddress.set(address, n);
        else presenceByAddress.delete(address);
      });
      acceptPresence(ws, siteKey, deps.presence, deps.sites);
    });
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ws/presence') return onPresence(req, socket, head, url);
    const role = url.pathname === '/ws/visitor' ? 'visitor' : url.pathname === '/ws/agent' ? 'agent' : null;
    if (!role) return reject(socket, 404, 'Not Found');
    const ticket = await deps.tokens.verifyTicket(url.searchParams.get('ticket') ?? '');
    if (!ticket || ticket.role !== role) return reject(socket, 401, 'Unauthorized');
    const session = deps.sessions.get(ticket.sessionId);
    if (!session) return reject(socket, 410, 'Gone');
    const origin = req.headers.origin;
    const allowed =
      ticket.role === 'visitor'
        ? deps.origins.visitorOriginAllowed(origin, req.headers.host)
        : deps.origins.sameOrigin(origin, req.headers.host);
    if (!allowed) return reject(socket, 403, 'Forbidden');
    // Loaded before the socket opens, so the welcome reads the site's current rules without waiting.
    await deps.sites.settings(session.siteKey);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const accepted =
        ticket.role === 'visitor'
          ? acceptVisitor(ws, session, deps.sessions, deps.bus, deps.sites)
          : acceptAgent(ws, session, { id: ticket.agentId, name: ticket.name }, deps.sessions, deps.bus);
      accepted.catch(() => ws.terminate());
    });
  }

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      onUpgrade(req, socket, head).catch(() => reject(socket, 500, 'Internal Server Error'));
    },
    /** Tells every client to reconnect elsewhere, then closes. */
    close(code: number, reason: string) {
      for (const ws of [...wss.clients, ...presenceWss.clients]) ws.close(code, reason);
      wss.close();
      presenceWss.close();
    },
    clientCount: () => wss.clients.size,
  };
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
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
