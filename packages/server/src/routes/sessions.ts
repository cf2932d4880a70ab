/** Sessions for agents and integrations: join by code, list, inspect, end. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorCode } from '@tandem/protocol';
import { AgentTicket, IdParams, JoinBody, SessionDetail, SessionList, SessionListQuery } from '@tandem/protocol/schema';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { LiveSession } from '../live/registry.js';
import { requireAgent, requireAgentOrKey, type Context } from '../context.js';
import { fail } from '../http-errors.js';

export async function sessionRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  /** A ticket for the signed-in agent to open the agent WebSocket of this live session. */
  async function agentTicket(req: FastifyRequest, session: LiveSession | null, otherwise: ErrorCode, id?: string) {
    const agent = await requireAgent(ctx, req);
    if (!session) {
      // A viewer coming back (after a restart, a network cut) learns how the session ended.
      const endReason = id === undefined ? undefined : ((await ctx.store.getSession(id))?.endReason ?? undefined);
      return fail(otherwise, undefined, endReason ? { endReason } : {});
    }
    const ticket = await ctx.tokens.ticket({ role: 'agent', sessionId: session.id, agentId: agent.agentId, name: agent.name });
    return { sessionId: session.id, ticket, visitorName: session.visitorName };
  }

  api.post(
    '/api/v1/sessions/join',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Redeem the code a visitor reads out; returns a ticket for the agent WebSocket',
        body: JoinBody,
        response: { 200: AgentTicket },
      },
    },
    async (req) => agentTicket(req, await ctx.registry.findByCode(req.body.code), 'TDM_UNKNOWN_CODE'),
  );

  api.post(
    '/api/v1/sessions/:id/ticket',
    {
      schema: {
        tags: ['sessions'],
        summary: 'A fresh agent ticket for a live session (reconnects, the watch page)',
        params: IdParams,
        response: { 200: AgentTicket },
      },
    },
    async (req) => agentTicket(req, await ctx.registry.getSession(req.params.id), 'TDM_SESSION_ENDED', req.params.id),
  );

  api.get(
    '/api/v1/sessions',
    {
      schema: { tags: ['sessions'], summary: 'Recent sessions, newest first', querystring: SessionListQuery, response: { 200: SessionList } },
    },
    async (req) => {
      await requireAgentOrKey(ctx, req);
      const rows = await ctx.store.listSessions({ limit: req.query.limit ?? 50, active: req.query.active });
      return { sessions: await Promise.all(rows.map(async (s) => withLive(s, await ctx.registry.getSession(s.id)))) };
    },
  );

  api.get(
    '/api/v1/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'One session: who, when, how it ended (never page content)',
        params: IdParams,
        response: { 200: SessionDetail },
      },
    },
    async (req) => {
      await requireAgentOrKey(ctx, req);
      const s = (await ctx.store.getSession(req.params.id)) ?? fail('TDM_NOT_FOUND');
      return { ...withLive(s, await ctx.registry.getSession(s.id)), agents: s.agents };
    },
  );

  api.post(
    '/api/v1/sessions/:id/end',
    { schema: { tags: ['sessions'], summary: 'End a live session for everyone', params: IdParams } },
    async (req, reply) => {
      const who = await requireAgentOrKey(ctx, req);
      const ended = await ctx.rooms.end(req.params.id, who === 'api-key' ? 'api' : 'agent');
      if (!ended) fail('TDM_SESSION_ENDED');
      return reply.code(204).send();
    },
  );
}

/** The stored record; the code only while the session runs (once it ended, the code may be another session's). */
function withLive<T extends { code: string }>(stored: T, live: LiveSession | null): T & { code: string | null; live: boolean } {
  return { ...stored, code: live?.code ?? null, live: live !== null };
}
