/**
 * REST for the visitor SDK: start a session after consent, and resume it on
 * the next page. Both answer with a one-minute WebSocket ticket.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { limits } from '@tandem/protocol';
import { HandoffIssued, IdParams, RedeemHandoffBody, ResumeBody, Resumed, StartSessionBody, Started } from '@tandem/protocol/schema';
import type { Context } from '../context.js';
import { fail } from '../http-errors.js';
import { describe, NoContent } from './openapi.js';

/** Session starts per client address per minute: codes are a scarce namespace. */
const STARTS_PER_MINUTE = 20;

export async function visitorRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const starts = ctx.registry.rateLimiter({ keyPrefix: 'starts', points: STARTS_PER_MINUTE, duration: 60 });

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
    reply
      .header('Access-Control-Allow-Methods', 'POST')
      .header('Access-Control-Allow-Headers', 'content-type')
      .header('Access-Control-Max-Age', '600')
      .code(204)
      .send(),
  );

  api.post(
    '/api/v1/visitor/sessions',
    {
      schema: describe(
        { auth: ['none'], errors: ['TDM_FORBIDDEN', 'TDM_RATE_LIMITED', 'TDM_UNKNOWN_SITE'] },
        {
          tags: ['visitor'],
          summary: 'Start a session after the visitor consented (from a page of an allowed origin)',
          body: StartSessionBody,
          response: { 201: Started },
        },
      ),
    },
    async (req, reply) => {
      checkOrigin(req.headers.origin, req.headers.host);
      await starts.consume(req.ip).catch(() => fail('TDM_RATE_LIMITED'));
      const { siteKey, identity = {}, url } = req.body;
      if (!ctx.sites.known(siteKey)) fail('TDM_UNKNOWN_SITE');
      const mode = req.body.mode ?? (await ctx.sites.settings(siteKey)).defaultMode;
      const checked = await ctx.sites.checkIdentity(siteKey, identity);
      // The browser's presence id, as its short id: a watch URL asked for this visitor finds the session.
      const shortId = req.body.visitorId && (await ctx.sites.settings(siteKey)).presence ? ctx.shortIds.of(siteKey, req.body.visitorId) : null;
      const { session, resumeToken } = await ctx.registry.createSession({
        siteKey,
        identity: checked,
        mode,
        shortId,
        graceMs: ctx.config.resumeGraceMs,
      });
      await ctx.rooms.requested(session, checked, url ?? null);
      const ticket = await ctx.tokens.ticket({ role: 'visitor', sessionId: session.id, siteKey });
      if (req.body.invite && (await ctx.registry.inviteByToken(req.body.invite))?.siteKey === siteKey) {
        await ctx.registry.answerInvite(req.body.invite, { accepted: true, sessionId: session.id, code: session.code });
      }
      return reply.code(201).send({ sessionId: session.id, code: session.code, ticket, resumeToken, mode: session.mode });
    },
  );

  api.post(
    '/api/v1/visitor/sessions/:id/handoff',
    {
      schema: describe(
        { auth: ['none'], errors: ['TDM_FORBIDDEN', 'TDM_SESSION_ENDED'] },
        {
          tags: ['visitor'],
          summary: 'A one-time token that carries the session to another of the site’s domains',
          params: IdParams,
          body: ResumeBody,
          response: { 200: HandoffIssued },
        },
      ),
    },
    async (req) => {
      checkOrigin(req.headers.origin, req.headers.host);
      const session = (await ctx.registry.checkResume(req.params.id, req.body.resumeToken)) ?? fail('TDM_SESSION_ENDED');
      const handoff = (await ctx.registry.issueHandoff(session.id, req.headers.origin ?? '')) ?? fail('TDM_SESSION_ENDED');
      return { handoff, expiresInMs: limits.handoffTtlMs };
    },
  );

  api.post(
    '/api/v1/visitor/handoff',
    {
      schema: describe(
        { auth: ['none'], errors: ['TDM_FORBIDDEN', 'TDM_SESSION_ENDED', 'TDM_CONSENT_NEEDED'] },
        {
          tags: ['visitor'],
          summary: 'Continue a session on another of the site’s domains, with a hand-off token',
          body: RedeemHandoffBody,
          response: { 200: Started },
        },
      ),
    },
    async (req) => {
      // The new page's origin must be one the operator allowed: a token that
      // leaked to another site resumes nothing there.
      checkOrigin(req.headers.origin, req.headers.host);
      const redeemed =
        (await ctx.registry.redeemHandoff(req.body.handoff, req.body.from ?? null, req.body.consented === true)) ??
        fail('TDM_SESSION_ENDED', 'The hand-off token is spent, expired or unknown.');
      if (redeemed === 'consent') return fail('TDM_CONSENT_NEEDED');
      const { session, resumeToken } = redeemed;
      const ticket = await ctx.tokens.ticket({ role: 'visitor', sessionId: session.id, siteKey: session.siteKey });
      return { sessionId: session.id, code: session.code, ticket, resumeToken, mode: session.mode };
    },
  );

  api.post(
    '/api/v1/visitor/sessions/:id/end',
    {
      schema: describe(
        { auth: ['none'], errors: ['TDM_FORBIDDEN', 'TDM_SESSION_ENDED'] },
        {
          tags: ['visitor'],
          summary: 'The visitor stops sharing while their page has no socket (reconnecting)',
          params: IdParams,
          body: ResumeBody,
          response: { 204: NoContent },
        },
      ),
    },
    async (req, reply) => {
      checkOrigin(req.headers.origin, req.headers.host);
      const session = (await ctx.registry.checkResume(req.params.id, req.body.resumeToken)) ?? fail('TDM_SESSION_ENDED');
      await ctx.rooms.end(session.id, 'visitor');
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/v1/visitor/sessions/:id/resume',
    {
      schema: describe(
        { auth: ['none'], errors: ['TDM_FORBIDDEN', 'TDM_SESSION_ENDED'] },
        {
          tags: ['visitor'],
          summary: 'Continue a session on a new page of the same tab',
          params: IdParams,
          body: ResumeBody,
          response: { 200: Resumed },
        },
      ),
    },
    async (req) => {
      checkOrigin(req.headers.origin, req.headers.host);
      const session = (await ctx.registry.checkResume(req.params.id, req.body.resumeToken)) ?? fail('TDM_SESSION_ENDED');
      const ticket = await ctx.tokens.ticket({ role: 'visitor', sessionId: session.id, siteKey: session.siteKey });
      return { sessionId: session.id, code: session.code, ticket };
    },
  );
}
