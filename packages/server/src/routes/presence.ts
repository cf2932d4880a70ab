/**
 * Presence over REST, for agents and integrations: who is on a site now, and
 * inviting one of them to share. The visitor answers on their page; the
 * invite's state says how, and carries the code to join once they accepted.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, InviteBody, InviteState, SiteParams, VisitorList, VisitorQuery } from '@tandem/protocol/schema';
import type { Context } from '../context.js';
import { requirePrincipal, requireSite, seesSite } from '../auth/principal.js';
import { fail } from '../http-errors.js';
import { describe } from './openapi.js';

/** An invite the visitor has not answered is withdrawn after this long. */
export const INVITE_TTL_MS = 2 * 60_000;
const MAX_LISTED = 100;

export async function presenceRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/sites/:key/visitors',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_UNKNOWN_SITE'] },
        {
          tags: ['presence'],
          summary: 'Visitors on the site now (sites with presence on): identity, page, platform',
          params: SiteParams,
          querystring: VisitorQuery,
          response: { 200: VisitorList },
        },
      ),
    },
    async (req) => {
      requireSite(await requirePrincipal(ctx, req), req.params.key);
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      // Turned off since pages connected: they are no longer listed.
      if (!(await ctx.sites.settings(req.params.key)).presence) return { visitors: [] };
      const present = await ctx.registry.presenceList(req.params.key, req.query.q ?? '', MAX_LISTED);
      // Named by short id: the presence id (and the page's socket) never leave the server.
      return { visitors: present.map(({ visitorId: _v, pageId: _p, siteKey: _s, ...shown }) => shown) };
    },
  );

  api.post(
    '/api/v1/sites/:key/invites',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_NOT_FOUND', 'TDM_UNKNOWN_SITE'] },
        {
          tags: ['presence'],
          summary: 'Invite a present visitor (by visitor id or the site’s unique id) to share their tab',
          params: SiteParams,
          body: InviteBody,
          response: { 201: InviteState },
        },
      ),
    },
    async (req, reply) => {
      const who = await requirePrincipal(ctx, req);
      requireSite(who, req.params.key);
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      if (!req.body.shortId && !req.body.uniqueId) {
        fail('TDM_BAD_MESSAGE', 'Give shortId or uniqueId.', {
          errors: [{ field: '/body/shortId', problem: 'is required when uniqueId is not given' }],
        });
      }
      if (!(await ctx.sites.settings(req.params.key)).presence) fail('TDM_FORBIDDEN', 'Presence is off for this site.');
      const visitor =
        (await ctx.registry.presenceFind(req.params.key, { shortId: req.body.shortId, uniqueId: req.body.uniqueId })) ??
        fail('TDM_NOT_FOUND', 'No such visitor is on the site now.');
      const invite = await ctx.registry.createInvite(visitor, who.kind === 'key' ? 'Support' : who.name, INVITE_TTL_MS);
      // To the visitor's latest page, through the bus: its socket may be on another node.
      await ctx.rooms.toPresencePage(visitor.pageId, { t: 'invite', token: invite.token, agent: invite.agentName });
      return reply.code(201).send({ inviteId: invite.id, state: invite.state });
    },
  );

  api.get(
    '/api/v1/invites/:id',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_NOT_FOUND'] },
        {
          tags: ['presence'],
          summary: 'How the visitor answered an invite; the code to join once accepted',
          params: IdParams,
          response: { 200: InviteState },
        },
      ),
    },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      const invite = (await ctx.registry.getInvite(req.params.id)) ?? fail('TDM_NOT_FOUND');
      if (!seesSite(who, invite.siteKey)) fail('TDM_NOT_FOUND');
      return { inviteId: invite.id, state: invite.state, code: invite.code, sessionId: invite.sessionId };
    },
  );
}
