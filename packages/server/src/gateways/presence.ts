/**
 * The presence gateway: one socket per page of a site that turned presence on.
 * The page says who and where the visitor is; the server may send an invite
 * back. No ticket (there is no session yet): the handshake checks the Origin
 * and the site's settings, and each socket is bounded like every other input.
 */
import type { WebSocket } from 'ws';
import { validatePresenceMessage, type PresenceToServer } from '@tandem/protocol';
import { MAX_PRESENT, MAX_PRESENT_PER_SITE, type Presence } from '../live/presence.js';
import type { Sites } from '../sites.js';
import { TokenBucket } from '../token-bucket.js';
import { closeRateLimited, parseControl, sendError, sendJson } from './connection.js';

/** A page says it is here once, then may decline invites: a handful of messages a minute. */
const MESSAGES_PER_SECOND = 1;

export function acceptPresence(ws: WebSocket, siteKey: string, presence: Presence, sites: Sites): void {
  const bucket = new TokenBucket(MESSAGES_PER_SECOND, 5);
  let leave: (() => void) | null = null;

  ws.on('error', () => ws.terminate());
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!bucket.take()) return closeRateLimited(ws);
    if (isBinary) return sendError(ws, 'TDM_BAD_MESSAGE', 'Presence takes JSON messages only.');
    const parsed = parseControl<PresenceToServer>(ws, data, validatePresenceMessage);
    if (!parsed.ok) return;
    const msg = parsed.msg;
    if (msg.t === 'here') {
      if (!leave && (presence.size >= MAX_PRESENT || presence.countSite(siteKey) >= MAX_PRESENT_PER_SITE)) {
        return sendError(ws, 'TDM_RATE_LIMITED', 'Too many visitors are present.');
      }
      const { t: _t, identity: claimed, ...visitor } = msg;
      // A unique id the site did not sign is dropped (when it signs them): it could claim another customer.
      void sites.checkIdentity(siteKey, claimed).then(({ verified, ...identity }) => {
        if (ws.readyState !== ws.OPEN) return;
        leave?.();
        leave = presence.here({ ...visitor, identity, verified, siteKey, since: new Date().toISOString() }, (m) => sendJson(ws, m));
      });
    } else if (msg.t === 'declineInvite') {
      presence.answer(msg.token, { accepted: false });
    }
  });
  ws.on('close', () => leave?.());
}
