/**
 * REST for the visitor SDK: start a session after consent, and resume it on
 * the next page. Both answer with a one-minute WebSocket ticket.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { limits } from '@tandem/protocol';
import { ModeSchema } from './sites.js';
import type { Context } from '../context.js';
import { fail } from '../http-errors.js';
import { TokenBucket } from '../token-bucket.js';

const Identity = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: limits.maxIdentityField })),
    email: Type.Optional(Type.String({ maxLength: limits.maxIdentityField })),
    uniqueId: Type.Optional(Type.String({ maxLength: limits.maxIdentityField })),
    signature: Type.Optional(Type.String({ minLength: 64, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const Started = Type.Object({
  sessionId: Type.String(),
  code: Type.String(),
  ticket: Type.String(),
  resumeToken: Type.String(),
  /** What agents may do now. */
  mode: ModeSchema,
});

/** Session starts per client address per minute: codes are a scarce namespace. */
const STARTS_PER_MINUTE = 20;

export async function visitorRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const buckets = new Map<string, TokenBucket>();

  const checkOrigin = (origin: string | undefined, host: string | undefined) => {
    if (!ctx.origins.visitorOriginAllowed(origin, host)) fail('TDM_FORBIDDEN', 'This page may not start Tandem sessions.');
  };

  // Sites on other allowed origins call these routes from their pages.
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin && ctx.origins.visitorOriginAllowed(origin, req.headers.host)) {
      reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin');
    }
  });
  app.options('/api/v1/visitor/*', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('Access-Control-Allow-Methods', 'POST').header('Access-Control-Allow-Headers', 'content-type').header('Access-Control-Max-Age', '600').code(204).send(),
  );

  api.post(
    '/api/v1/visitor/sessions',
    {
      schema: {
        tags: ['visitor'],
        summary: 'Start a session after the visitor consented',
        body: Type.Object(
          {
            siteKey: Type.String({ minLength: 1, maxLength: 100 }),
            identity: Type.Optional(Identity),
            url: Type.Optional(Type.String({ maxLength: 2048 })),
            /** The mode the site's `init` asked for (else the site's default); agents may ask the visitor for more. */
            mode: Type.Optional(ModeSchema),
            /** The token of the invite the visitor accepted, when an agent asked first. */
            invite: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Started },
      },
    },
    async (req, reply) => {
      checkOrigin(req.headers.origin, req.headers.host);
      if (buckets.size > 10_000) buckets.clear();
      let bucket = buckets.get(req.ip);
      if (!bucket) buckets.set(req.ip, (bucket = new TokenBucket(STARTS_PER_MINUTE / 60, STARTS_PER_MINUTE)));
      if (!bucket.take()) fail('TDM_RATE_LIMITED');
      const { siteKey, identity = {}, url } = req.body;
      if (!ctx.sites.known(siteKey)) fail('TDM_UNKNOWN_SITE');
      const mode = req.body.mode ?? (await ctx.sites.settings(siteKey)).defaultMode;
      const { session, resumeToken } = await ctx.sessions.create(siteKey, await ctx.sites.checkIdentity(siteKey, identity), url ?? null, mode);
      const ticket = await ctx.tokens.ticket({ role: 'visitor', sessionId: session.id, siteKey });
      if (req.body.invite && ctx.presence.byInviteToken(req.body.invite)?.siteKey === siteKey) {
        ctx.presence.answer(req.body.invite, { accepted: true, sessionId: session.id, code: session.code });
      }
      return reply.code(201).send({ sessionId: session.id, code: session.code, ticket, resumeToken, mode: session.mode });
    },
  );

  api.post(
    '/api/v1/visitor/sessions/:id/handoff',
    {
      schema: {
        tags: ['visitor'],
        summary: 'A one-time token that carries the session to another of the site’s domains',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ resumeToken: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ handoff: Type.String(), expiresInMs: Type.Number() }) },
      },
    },
    async (req) => {
      checkOrigin(req.headers.origin, req.headers.host);
      const session = ctx.sessions.checkResume(req.params.id, req.body.resumeToken) ?? fail('TDM_SESSION_ENDED');
      return { handoff: ctx.sessions.issueHandoff(session, req.headers.origin ?? ''), expiresInMs: limits.handoffTtlMs };
    },
  );

  api.post(
    '/api/v1/visitor/handoff',
    {
      schema: {
        tags: ['visitor'],
        summary: 'Continue a session on another of the site’s domains, with a hand-off token',
        body: Type.Object(
          {
            handoff: Type.String({ maxLength: 200 }),
            /** The origin of the page the visitor came from (document.referrer). */
            from: Type.Optional(Type.String({ maxLength: 300 })),
            /** The visitor agreed again, on this page, to go on sharing. */
            consented: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Started },
      },
    },
    async (req) => {
      // The new page's origin must be one the operator allowed: a token that
      // leaked to another site resumes nothing there.
      checkOrigin(req.headers.origin, req.headers.host);
      const redeemed =
        ctx.sessions.redeemHandoff(req.body.handoff, req.body.from ?? null, req.body.consented === true) ??
        fail('TDM_SESSION_ENDED', 'The hand-off token is spent, expired or unknown.');
      if (redeemed === 'consent') return fail('TDM_CONSENT_NEEDED');
      const { session, resumeToken } = redeemed;
      const ticket = await ctx.tokens.ticket({ role: 'visitor', sessionId: session.id, siteKey: session.siteKey });
      return { sessionId: session.id, code: session.code, ticket, resumeToken, mode: session.mode };
    },
  );

  api.post(
    '/api/v1/visitor/sessions/:id/resume',
    {
      schema: {
        tags: ['visitor'],
        summary: 'Continue a session on a new page of the same tab',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        body: Type.Object({ resumeToken: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ sessionId: Type.String(), code: Type.String(), ticket: Type.String() }) },
      },
    },
    async (req) => {
      checkOrigin(req.headers.origin, req.headers.host);
      const session = ctx.sessions.checkResume(req.params.id, req.body.resumeToken) ?? fail('TDM_SESSION_ENDED');
      const ticket = await ctx.tokens.ticket({ role: 'visitor', sessionId: session.id, siteKey: session.siteKey });
      return { sessionId: session.id, code: session.code, ticket };
    },
  );
}
