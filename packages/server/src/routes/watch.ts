/**
 * Upscope's integration flow: the site's server finds its visitor (short id,
 * its own id as `id:UNIQUEID`, name or email), asks for a `watch_url` with its
 * own agent's id and name, and redirects that agent there — no Tandem account,
 * no second sign-in. The URL carries a signed, single-use link token in its
 * fragment (never sent to any server in a Referer or a log); the watch page
 * redeems it for a bearer grant it keeps in the tab. A visitor who is not
 * sharing yet is asked first (an invite, as an agent's would be).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AgentTicket,
  IdParams,
  RedeemWatchBody,
  SHORT_ID_PATTERN,
  ShortIdParams,
  VisitorSearchQuery,
  VisitorSearchResult,
  WatchGrant,
  WatchUrl,
  WatchUrlBody,
  type FoundVisitor,
} from '@tandem/protocol/schema';
import type { Context } from '../context.js';
import { isAdmin, requirePrincipal, seesSite, type Principal } from '../auth/principal.js';
import type { Issuer, WatchGrant as Grant, WatchLink } from '../auth/tokens.js';
import type { PresentVisitor } from '../live/registry.js';
import { normalizeShortId } from '../live/short-ids.js';
import { fail } from '../http-errors.js';
import { describe } from './openapi.js';
import { INVITE_TTL_MS } from './presence.js';

const SHORT_ID = new RegExp(SHORT_ID_PATTERN);

/** Visitors looked at per site for a search: the registry bounds a site's presence anyway. */
const SEARCH_SCAN = 5_000;
/** Links redeemed per grant holder address a minute: each redeem costs a signature check and a spend. */
const REDEEMS_PER_MINUTE = 30;

export async function watchRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const redeems = ctx.registry.rateLimiter({ keyPrefix: 'watch-redeems', points: REDEEMS_PER_MINUTE, duration: 60 });

  /** Who may hand out watch URLs: they let anyone in under any name, so an API key or an admin. */
  async function requireIssuer(req: FastifyRequest): Promise<Principal> {
    const who = await requirePrincipal(ctx, req);
    if (who.kind === 'agent' && !isAdmin(who)) fail('TDM_FORBIDDEN', 'Watch URLs are for integrations (an API key) or an admin.');
    return who;
  }

  const liveSessionOf = async (siteKey: string, shortId: string) =>
    (await ctx.registry.listSessions()).find((s) => s.siteKey === siteKey && s.shortId === shortId) ?? null;

  /** Whether who issued a link still may: a key not revoked, or an admin agent still enabled and an admin. */
  async function issuerStands(issuer: Issuer): Promise<boolean> {
    if (issuer.kind === 'key') {
      const key = await ctx.store.findApiKeyById(issuer.id);
      return !!key && !key.revokedAt;
    }
    const agent = await ctx.store.findAgentById(issuer.id);
    return !!agent && !agent.disabledAt && agent.role === 'admin';
  }

  async function issue(req: FastifyRequest, who: Principal, siteKey: string, target: WatchLink['target'], body: WatchUrlBody) {
    const retryUrl = body.branding?.retry_url ?? null;
    if (retryUrl !== null && !/^https?:\/\//i.test(retryUrl)) fail('TDM_BAD_MESSAGE', 'branding.retry_url must be an http(s) address.');
    const link: WatchLink = {
      siteKey,
      agent: { id: body.agent.id, name: body.agent.name.trim() || 'Support' },
      branding: { naked: body.branding?.naked === true, noBottomBar: body.branding?.no_bottom_bar === true, retryUrl },
      target,
      issuer: who.kind === 'key' ? { kind: 'key', id: who.keyId } : { kind: 'agent', id: who.agentId },
    };
    const { token, expiresAt } = await ctx.tokens.watchLink(link, ctx.config.watchLinkTtlMs);
    const base = ctx.config.publicUrl ?? `${req.protocol}://${req.host}`;
    return { watch_url: `${base}/watch#token=${token}`, expires_at: expiresAt.toISOString() };
  }

  api.get(
    '/api/v1/visitors',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_UNKNOWN_SITE'] },
        {
          tags: ['presence'],
          summary: 'Find visitors on a site now: by short id, `id:UNIQUEID`, or part of a name or email',
          querystring: VisitorSearchQuery,
          response: { 200: VisitorSearchResult },
        },
      ),
    },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      const siteKey = req.query.site ?? (who.kind === 'key' ? who.siteKey : null) ?? fail('TDM_BAD_MESSAGE', 'Name the site (site=…).');
      if (!seesSite(who, siteKey) || !ctx.sites.known(siteKey)) fail('TDM_UNKNOWN_SITE');
      if (!(await ctx.sites.settings(siteKey)).presence) return { visitors: [], next_cursor: null };
      const q = (req.query.q ?? '').trim();
      const all = await ctx.registry.presenceList(siteKey, '', SEARCH_SCAN);
      const matches = searchFilter(q);
      const after = decodeCursor(req.query.cursor);
      const ordered = all.filter(matches).sort(byNewest);
      const start = after ? ordered.findIndex((v) => byNewest(v, after) > 0) : 0;
      const limit = req.query.limit ?? 20;
      const page = start < 0 ? [] : ordered.slice(start, start + limit);
      const live = new Set((await ctx.registry.listSessions()).filter((s) => s.siteKey === siteKey).map((s) => s.shortId));
      const more = start >= 0 && start + limit < ordered.length;
      return {
        visitors: page.map((v): FoundVisitor => ({
          short_id: v.shortId,
          site: v.siteKey,
          identity: v.identity,
          verified: v.verified,
          url: v.url,
          title: v.title,
          platform: v.platform,
          since: v.since,
          in_session: live.has(v.shortId),
        })),
        next_cursor: more ? encodeCursor(page[page.length - 1]!) : null,
      };
    },
  );

  api.post(
    '/api/v1/visitors/:shortId/watch_url',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_VISITOR_GONE'] },
        {
          tags: ['watch'],
          summary: 'A single-use URL that opens this visitor’s tab for your agent (asking the visitor first if they are not sharing)',
          params: ShortIdParams,
          body: WatchUrlBody,
          response: { 200: WatchUrl },
        },
      ),
    },
    async (req) => {
      const who = await requireIssuer(req);
      const shortId = normalizeShortId(req.params.shortId);
      // U is never in a short id (Crockford's alphabet): such an id names no one.
      if (!SHORT_ID.test(shortId)) fail('TDM_VISITOR_GONE');
      const siteKey = who.kind === 'key' ? who.siteKey : null;
      const present = await ctx.registry.presenceFind(siteKey, { shortId });
      const site = present?.siteKey ?? (await anySessionOf(siteKey, shortId))?.siteKey ?? fail('TDM_VISITOR_GONE');
      return issue(req, who, site, { shortId }, req.body);
    },
  );

  async function anySessionOf(siteKey: string | null, shortId: string) {
    return (await ctx.registry.listSessions()).find((s) => s.shortId === shortId && (siteKey === null || s.siteKey === siteKey)) ?? null;
  }

  api.post(
    '/api/v1/sessions/:id/watch_url',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_SESSION_ENDED'] },
        {
          tags: ['watch'],
          summary: 'A single-use URL that opens this running session for your agent',
          params: IdParams,
          body: WatchUrlBody,
          response: { 200: WatchUrl },
        },
      ),
    },
    async (req) => {
      const who = await requireIssuer(req);
      const session = await ctx.registry.getSession(req.params.id);
      if (!session || !seesSite(who, session.siteKey)) {
        const stored = await ctx.store.getSession(req.params.id);
        if (stored && seesSite(who, stored.siteKey)) fail('TDM_SESSION_ENDED');
        return fail('TDM_NOT_FOUND');
      }
      return issue(req, who, session.siteKey, { sessionId: session.id }, req.body);
    },
  );

  api.post(
    '/api/v1/watch/redeem',
    {
      schema: describe(
        {
          auth: ['none'],
          errors: ['TDM_RATE_LIMITED', 'TDM_UNAUTHORIZED', 'TDM_LINK_EXPIRED', 'TDM_LINK_SPENT', 'TDM_SESSION_ENDED', 'TDM_VISITOR_GONE'],
        },
        {
          tags: ['watch'],
          summary: 'The watch page exchanges a watch URL’s token (once) for a grant',
          body: RedeemWatchBody,
          response: { 200: WatchGrant },
        },
      ),
    },
    async (req) => {
      await redeems.consume(req.ip).catch(() => fail('TDM_RATE_LIMITED'));
      const link = (await ctx.tokens.readWatchLink(req.body.token)) ?? fail('TDM_UNAUTHORIZED', 'This is not a watch link.');
      const retry = { retryUrl: link.branding.retryUrl ?? undefined };
      if (link.expired) fail('TDM_LINK_EXPIRED', undefined, retry);
      if (!(await issuerStands(link.issuer))) fail('TDM_UNAUTHORIZED', 'Whoever made this link may no longer.');
      // Once: the first page to present it has it; a second use, a forwarded or leaked link, opens nothing.
      if (!(await ctx.registry.spendTicket(`watch:${link.jti}`, ctx.config.watchLinkTtlMs + 60_000))) fail('TDM_LINK_SPENT', undefined, retry);
      const base = { siteKey: link.siteKey, agent: link.agent, branding: link.branding, issuer: link.issuer };
      const answer = (grant: string, state: 'pending' | 'accepted', sessionId: string | null) => ({
        grant,
        state,
        sessionId,
        agentName: link.agent.name,
        branding: link.branding,
      });
      if ('sessionId' in link.target) {
        const session = await ctx.registry.getSession(link.target.sessionId);
        if (!session) fail('TDM_SESSION_ENDED', undefined, retry);
        return answer(await ctx.tokens.grant({ ...base, sessionId: link.target.sessionId }), 'accepted', link.target.sessionId);
      }
      // The visitor shares already (with someone else, or from an earlier link): joined without asking again.
      const running = await liveSessionOf(link.siteKey, link.target.shortId);
      if (running) return answer(await ctx.tokens.grant({ ...base, sessionId: running.id }), 'accepted', running.id);
      const visitor =
        (await ctx.registry.presenceFind(link.siteKey, { shortId: link.target.shortId })) ?? fail('TDM_VISITOR_GONE', undefined, retry);
      if (!(await ctx.sites.settings(link.siteKey)).presence) fail('TDM_VISITOR_GONE', undefined, retry);
      const invite = await askVisitor(visitor, link.agent.name);
      return answer(await ctx.tokens.grant({ ...base, inviteId: invite }), 'pending', null);
    },
  );

  async function askVisitor(visitor: PresentVisitor, agentName: string): Promise<string> {
    const invite = await ctx.registry.createInvite(visitor, agentName, INVITE_TTL_MS);
    await ctx.rooms.toPresencePage(visitor.pageId, { t: 'invite', token: invite.token, agent: invite.agentName });
    return invite.id;
  }

  /** The grant the watch page holds, from its Authorization header. */
  async function requireGrant(req: FastifyRequest): Promise<Grant> {
    const auth = req.headers.authorization ?? '';
    const grant = (auth.startsWith('Bearer ') ? await ctx.tokens.verifyGrant(auth.slice(7)) : null) ?? fail('TDM_UNAUTHORIZED');
    if (!(await issuerStands(grant.issuer))) fail('TDM_UNAUTHORIZED', 'Whoever made this link may no longer.');
    return grant;
  }

  api.post(
    '/api/v1/watch/state',
    {
      schema: describe(
        { auth: ['watchGrant'], errors: ['TDM_CONSENT_DECLINED', 'TDM_NO_ANSWER'] },
        {
          tags: ['watch'],
          summary: 'Whether the visitor answered; once they accepted, a grant for the session',
          response: { 200: WatchGrant },
        },
      ),
    },
    async (req) => {
      const grant = await requireGrant(req);
      const retry = { retryUrl: grant.branding.retryUrl ?? undefined };
      const answer = { agentName: grant.agent.name, branding: grant.branding };
      if (grant.sessionId)
        return { ...answer, grant: req.headers.authorization!.slice(7), state: 'accepted' as const, sessionId: grant.sessionId };
      const invite = (grant.inviteId && (await ctx.registry.getInvite(grant.inviteId))) || fail('TDM_NO_ANSWER', undefined, retry);
      if (invite.state === 'declined') fail('TDM_CONSENT_DECLINED', undefined, retry);
      if (invite.state === 'expired') fail('TDM_NO_ANSWER', undefined, retry);
      if (invite.state === 'pending' || !invite.sessionId)
        return { ...answer, grant: req.headers.authorization!.slice(7), state: 'pending' as const, sessionId: null };
      const { jti, inviteId: _i, ...rest } = grant;
      return {
        ...answer,
        grant: await ctx.tokens.grant({ ...rest, sessionId: invite.sessionId }, jti),
        state: 'accepted' as const,
        sessionId: invite.sessionId,
      };
    },
  );

  api.post(
    '/api/v1/watch/ticket',
    {
      schema: describe(
        { auth: ['watchGrant'], errors: ['TDM_FORBIDDEN', 'TDM_SESSION_ENDED'] },
        {
          tags: ['watch'],
          summary: 'A ticket for the agent WebSocket, for the holder of a grant (each connect and reconnect)',
          response: { 200: AgentTicket },
        },
      ),
    },
    async (req) => {
      const grant = await requireGrant(req);
      if (!grant.sessionId) fail('TDM_FORBIDDEN', 'The visitor has not accepted yet.');
      const session = await ctx.registry.getSession(grant.sessionId!);
      if (!session) {
        const endReason = (await ctx.store.getSession(grant.sessionId!))?.endReason ?? undefined;
        return fail('TDM_SESSION_ENDED', undefined, endReason ? { endReason } : {});
      }
      const ticket = await ctx.tokens.ticket({
        role: 'agent',
        sessionId: session.id,
        // Namespaced: an integrator's id can never be taken for one of our agents'.
        agentId: `ext-${grant.agent.id}`,
        name: grant.agent.name,
        guest: grant.jti,
      });
      return { sessionId: session.id, ticket, visitorName: session.visitorName };
    },
  );
}

/** `id:X`: the site's own id, exactly; a short id, exactly; else part of a name or an email. */
function searchFilter(q: string): (v: PresentVisitor) => boolean {
  if (!q) return () => true;
  if (q.toLowerCase().startsWith('id:')) {
    const id = q.slice(3).trim();
    return (v) => v.identity.uniqueId === id;
  }
  const short = normalizeShortId(q);
  const text = q.toLowerCase();
  return (v) => v.shortId === short || [v.identity.name, v.identity.email].some((f) => f?.toLowerCase().includes(text));
}

/** Newest first; the short id breaks ties, so a cursor names one place in the order. */
function byNewest(a: { since: string; shortId: string }, b: { since: string; shortId: string }): number {
  return b.since.localeCompare(a.since) || a.shortId.localeCompare(b.shortId);
}

/** The last visitor of a page (not the presence id: that stays between the browser and the server). */
function encodeCursor(v: PresentVisitor): string {
  return Buffer.from(JSON.stringify([v.since, v.shortId])).toString('base64url');
}

function decodeCursor(cursor: string | undefined): { since: string; shortId: string } | null {
  if (!cursor) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { since: value[0], shortId: value[1] };
    }
  } catch {
    // falls through to the error below
  }
  return fail('TDM_BAD_MESSAGE', 'The cursor is not one this server gave.');
}
