/** Sessions for agents and integrations: join by code, list, inspect, end. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorCode } from '@tandem/protocol';
import { AgentTicket, IdParams, JoinBody, SessionDetail, SessionList, SessionListQuery } from '@tandem/protocol/schema';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { LiveSession } from '../live/registry.js';
import { END_REFUSED, mayEndForEveryone } from '../live/controls.js';
import { requireAgent, type Context } from '../context.js';
import { isAdmin, requirePrincipal, seesSite, type Principal } from '../auth/principal.js';
import { fail } from '../http-errors.js';
import { describe, NoContent } from './openapi.js';

/** Wrong codes an agent may try a minute: the 900,000 codes are not a namespace to walk. */
const WRONG_CODES_PER_MINUTE = 10;

export async function sessionRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const wrongCodes = ctx.registry.rateLimiter({ keyPrefix: 'wrong-codes', points: WRONG_CODES_PER_MINUTE, duration: 60, blockDuration: 60 });

  /** Which of these sessions the caller may see the code of: an agent who is not an admin, only those they joined. */
  async function codeVisible(who: Principal, ids: string[]): Promise<(id: string) => boolean> {
    if (who.kind === 'key' || isAdmin(who)) return () => true;
    const joined = await ctx.store.joinedSessions(who.agentId, ids);
    return (id) => joined.has(id);
  }

  /** The stored record, with the code while the session runs, to whoever may see it (a code lets anyone in). */
  async function present<T extends { id: string; code: string }>(stored: T, visible: (id: string) => boolean) {
    const live = await ctx.registry.getSession(stored.id);
    const { code: _stored, ...rest } = stored;
    // Once ended, a code may already be another session's: it is not shown.
    return { ...rest, live: live !== null, ...(visible(stored.id) ? { code: live?.code ?? null } : {}) };
  }

  /**
   * A ticket for the signed-in agent to open the agent WebSocket of this live
   * session. By id (`byCode` false), an agent who is not an admin gets one only
   * to rejoin a session they joined with its code.
   */
  async function agentTicket(req: FastifyRequest, session: LiveSession | null, otherwise: ErrorCode, byId?: string) {
    const agent = await requireAgent(ctx, req);
    if (!session) {
      // A viewer coming back (after a restart, a network cut) learns how the session ended.
      const endReason = byId === undefined ? undefined : ((await ctx.store.getSession(byId))?.endReason ?? undefined);
      return fail(otherwise, undefined, endReason ? { endReason } : {});
    }
    if (byId !== undefined && agent.role !== 'admin' && !(await ctx.store.joinedSessions(agent.agentId, [session.id])).has(session.id)) {
      return fail('TDM_FORBIDDEN', 'Join this session with its code first.');
    }
    const ticket = await ctx.tokens.ticket({
      role: 'agent',
      sessionId: session.id,
      agentId: agent.agentId,
      name: agent.name,
      signIn: agent.jti,
    });
    return { sessionId: session.id, ticket, visitorName: session.visitorName, code: session.code };
  }

  api.post(
    '/api/v1/sessions/join',
    {
      schema: describe(
        { auth: ['agentCookie'], errors: ['TDM_RATE_LIMITED', 'TDM_UNKNOWN_CODE'] },
        {
          tags: ['sessions'],
          summary: 'Redeem the code a visitor reads out; returns a ticket for the agent WebSocket',
          body: JoinBody,
          response: { 200: AgentTicket },
        },
      ),
    },
    async (req) => {
      const agent = await requireAgent(ctx, req);
      // Refused outright while the agent is over its wrong codes; a right code is not counted.
      if ((await wrongCodes.get(agent.agentId))?.remainingPoints === 0) fail('TDM_RATE_LIMITED', 'Too many wrong codes; wait a minute.');
      const session = await ctx.registry.findByCode(req.body.code);
      if (!session) await wrongCodes.consume(agent.agentId).catch(() => fail('TDM_RATE_LIMITED', 'Too many wrong codes; wait a minute.'));
      return agentTicket(req, session, 'TDM_UNKNOWN_CODE');
    },
  );

  api.post(
    '/api/v1/sessions/:id/ticket',
    {
      schema: describe(
        { auth: ['agentCookie'], errors: ['TDM_FORBIDDEN', 'TDM_SESSION_ENDED'] },
        {
          tags: ['sessions'],
          summary: 'A fresh agent ticket for a live session (reconnects, the watch page); agents who are not admins rejoin only',
          params: IdParams,
          response: { 200: AgentTicket },
        },
      ),
    },
    async (req) => agentTicket(req, await ctx.registry.getSession(req.params.id), 'TDM_SESSION_ENDED', req.params.id),
  );

  api.get(
    '/api/v1/sessions',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'] },
        {
          tags: ['sessions'],
          summary: 'Recent sessions, newest first (a site’s key sees its own site’s)',
          querystring: SessionListQuery,
          response: { 200: SessionList },
        },
      ),
    },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      const siteKey = who.kind === 'key' && who.siteKey !== null ? who.siteKey : undefined;
      const rows = await ctx.store.listSessions({ limit: req.query.limit ?? 50, active: req.query.active, siteKey });
      const visible = await codeVisible(
        who,
        rows.map((s) => s.id),
      );
      return { sessions: await Promise.all(rows.map((s) => present(s, visible))) };
    },
  );

  api.get(
    '/api/v1/sessions/:id',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_NOT_FOUND'] },
        {
          tags: ['sessions'],
          summary: 'One session: who, when, how it ended (never page content)',
          params: IdParams,
          response: { 200: SessionDetail },
        },
      ),
    },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      const s = (await ctx.store.getSession(req.params.id)) ?? fail('TDM_NOT_FOUND');
      if (!seesSite(who, s.siteKey)) fail('TDM_NOT_FOUND');
      return { ...(await present(s, await codeVisible(who, [s.id]))), agents: s.agents };
    },
  );

  api.post(
    '/api/v1/sessions/:id/end',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_NOT_FOUND', 'TDM_SESSION_ENDED'] },
        {
          tags: ['sessions'],
          summary: 'End a live session for everyone',
          params: IdParams,
          response: { 204: NoContent },
        },
      ),
    },
    async (req, reply) => {
      const who = await requirePrincipal(ctx, req);
      const live = await ctx.registry.getSession(req.params.id);
      const siteKey = live?.siteKey ?? (await ctx.store.getSession(req.params.id))?.siteKey;
      if (siteKey !== undefined && !seesSite(who, siteKey)) fail('TDM_NOT_FOUND');
      // An agent who is not an admin ends only a session they are in, and then as the socket's rule says.
      if (who.kind === 'agent' && !isAdmin(who)) {
        if (!(await ctx.store.joinedSessions(who.agentId, [req.params.id])).has(req.params.id)) {
          fail('TDM_FORBIDDEN', 'Only an admin, or an agent in the session, may end it.');
        }
        if (live && !mayEndForEveryone(live, who.agentId, false)) fail('TDM_FORBIDDEN', END_REFUSED);
      }
      const ended = await ctx.rooms.end(req.params.id, who.kind === 'key' ? 'api' : 'agent');
      if (!ended) fail('TDM_SESSION_ENDED');
      return reply.code(204).send();
    },
  );
}
