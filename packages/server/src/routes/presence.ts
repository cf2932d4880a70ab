/**
 * Presence over REST, for agents and integrations: who is on a site now, and
 * inviting one of them to share. The visitor answers on their page; the
 * invite's state says how, and carries the code to join once they accepted.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { limits } from '@tandem/protocol';
import type { Context } from '../context.js';
import { requirePrincipal, requireSite, seesSite } from '../auth/principal.js';
import { fail } from '../http-errors.js';

const Site = Type.Object({ key: Type.String({ minLength: 1, maxLength: 100 }) });
const Visitor = Type.Object({
  visitorId: Type.String(),
  identity: Type.Object({ name: Type.Optional(Type.String()), email: Type.Optional(Type.String()), uniqueId: Type.Optional(Type.String()) }),
  /** The unique id was signed by the site (only signed ones are kept once the site has an identity secret). */
  verified: Type.Boolean(),
  url: Type.String(),
  title: Type.String(),
  platform: Type.Object({ browser: Type.String(), os: Type.String(), viewport: Type.String(), language: Type.String(), timeZone: Type.String() }),
  since: Type.String(),
});
const Invite = Type.Object({
  inviteId: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('declined'), Type.Literal('expired')]),
  code: Type.Optional(Type.String()),
  sessionId: Type.Optional(Type.String()),
});

export async function presenceRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/sites/:key/visitors',
    {
      schema: {
        tags: ['presence'],
        summary: 'Visitors on the site now (sites with presence on): identity, page, platform',
        params: Site,
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: limits.maxIdentityField })) }),
        response: { 200: Type.Object({ visitors: Type.Array(Visitor) }) },
      },
    },
    async (req) => {
      requireSite(await requirePrincipal(ctx, req), req.params.key);
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      // Turned off since pages connected: they are no longer listed.
      if (!(await ctx.sites.settings(req.params.key)).presence) return { visitors: [] };
      return { visitors: ctx.presence.list(req.params.key, req.query.q) };
    },
  );

  api.post(
    '/api/v1/sites/:key/invites',
    {
      schema: {
        tags: ['presence'],
        summary: 'Invite a present visitor (by visitor id or the site’s unique id) to share their tab',
        params: Site,
        body: Type.Object(
          {
            visitorId: Type.Optional(Type.String({ maxLength: 64 })),
            uniqueId: Type.Optional(Type.String({ maxLength: limits.maxIdentityField })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Invite },
      },
    },
    async (req, reply) => {
      const who = await requirePrincipal(ctx, req);
      requireSite(who, req.params.key);
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      if (!req.body.visitorId && !req.body.uniqueId) fail('TDM_BAD_MESSAGE', 'Give visitorId or uniqueId.');
      if (!(await ctx.sites.settings(req.params.key)).presence) fail('TDM_FORBIDDEN', 'Presence is off for this site.');
      const visitor = ctx.presence.find(req.params.key, req.body) ?? fail('TDM_NOT_FOUND', 'No such visitor is on the site now.');
      const invite = ctx.presence.invite(visitor, who.kind === 'key' ? 'Support' : who.name);
      return reply.code(201).send({ inviteId: invite.id, state: invite.state });
    },
  );

  api.get(
    '/api/v1/invites/:id',
    {
      schema: {
        tags: ['presence'],
        summary: 'How the visitor answered an invite; the code to join once accepted',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: Invite },
      },
    },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      const invite = ctx.presence.getInvite(req.params.id) ?? fail('TDM_NOT_FOUND');
      if (!seesSite(who, invite.siteKey)) fail('TDM_NOT_FOUND');
      return { inviteId: invite.id, state: invite.state, code: invite.code, sessionId: invite.sessionId };
    },
  );
}
