/**
 * The presence gateway: one socket per page of a site that turned presence on.
 * The page says who and where the visitor is; an invite comes back through the
 * bus, from whichever node an agent asked on. No ticket (there is no session
 * yet): the handshake checks the Origin and the site's settings, and each
 * socket is bounded like every other input.
 */
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { validatePresenceMessage } from '@tandem/protocol/schema';
import { toPresencePage, type Bus } from '../bus/bus.js';
import type { Registry } from '../live/registry.js';
import type { Sites } from '../sites.js';
import type { ShortIds } from '../live/short-ids.js';
import { encode } from '../live/wire.js';
import { withoutQuery } from '../live/urls.js';
import { onMessages, parseControl, sendError } from './connection.js';

/** A page says it is here once, then may decline invites: a handful of messages a minute. */
const MESSAGES_PER_SECOND = 1;
/** Bounds: presence is open to any page of an allowed origin, so it is capped. */
export const MAX_PRESENT = 20_000;
/** One site cannot fill the server's presence for the others. */
export const MAX_PRESENT_PER_SITE = 5_000;

export function acceptPresence(
  ws: WebSocket,
  siteKey: string,
  deps: { registry: Registry; sites: Sites; bus: Bus; shortIds: ShortIds },
  report: (err: unknown) => void,
): void {
  const pageId = randomUUID();
  let visitorId: string | null = null;
  // Invites for this page, from any node. The listeners below are attached at once (a message
  // that arrives before them would be lost); the first message waits for the subscription.
  const subscribed = deps.bus.subscribe(toPresencePage(pageId), (m) => {
    if (m.length > 0 && ws.readyState === ws.OPEN) ws.send(m, { binary: false });
  });

  onMessages(
    ws,
    MESSAGES_PER_SECOND,
    5,
    async (data, isBinary) => {
      await subscribed;
      if (isBinary) return sendError(ws, 'TDM_BAD_MESSAGE', 'Presence takes JSON messages only.');
      const parsed = parseControl(ws, data, validatePresenceMessage);
      if (!parsed.ok) return;
      const msg = parsed.msg;
      if (msg.t === 'declineInvite') {
        await deps.registry.answerInvite(msg.token, { accepted: false });
        return;
      }
      const { t: _t, identity: claimed, ...page } = msg;
      // A unique id the site did not sign is dropped (when it signs them): it could claim another customer.
      const { verified, signature: _s, ...identity } = await deps.sites.checkIdentity(siteKey, claimed);
      if (visitorId !== null && visitorId !== page.visitorId) await deps.registry.presenceGone(visitorId, pageId);
      const shortId = deps.shortIds.of(siteKey, page.visitorId);
      const listed = await deps.registry.presenceHere(
        // The page's address without query or fragment, as everywhere at rest or shown: they can hold tokens.
        { ...page, url: withoutQuery(page.url), shortId, identity, verified, siteKey, since: new Date().toISOString(), pageId },
        { total: MAX_PRESENT, perSite: MAX_PRESENT_PER_SITE },
      );
      if (!listed) return sendError(ws, 'TDM_RATE_LIMITED', 'Too many visitors are present.');
      visitorId = page.visitorId;
      if (ws.readyState === ws.OPEN) ws.send(encode.presence({ t: 'listed', shortId }), { binary: false });
    },
    async () => {
      (await subscribed)();
      if (visitorId !== null) await deps.registry.presenceGone(visitorId, pageId);
    },
    report,
  );
}
