/** Sessions for agents and integrations: join by code, list, inspect, end. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorCode } from '@tandem/protocol';
import type { LiveSession } from '../live/sessions.js';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireAgent, requireAgentOrKey, type Context } from '../context.js';
import { fail } from '../http-errors.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Session = Type.Object({
  id: Type.String(),
  siteKey: Type.String(),
  code: Type.String(),
  visitorName: Nullable(Type.String()),
  visitorEmail: Nullable(Type.String()),
  visitorUniqueId: Nullable(Type.String()),
  startUrl: Nullable(Type.String()),
  createdAt: Type.String(),
  endedAt: Nullable(Type.String()),
  endReason: Nullable(Type.String()),
  /** The most the visitor allowed agents: view, navigate or control. */
  maxMode: Nullable(Type.String()),
  live: Type.Boolean(),
});

const SessionDetail = Type.Intersect([
  Session,
  Type.Object({
    agents: Type.Array(Type.Object({ agentId: Type.String(), agentName: Type.String(), joinedAt: Type.String() })),
  }),
]);

const AgentTicket = Type.Object({ sessionId: Type.String(), ticket: Type.String(), visitorName: Nullable(Type.String()) });

export async function sessionRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const live = (id: string) => ctx.sessions.get(id) !== undefined;

  /** A ticket for the signed-in agent to open the agent WebSocket of this live session. */
  async function agentTicket(req: FastifyRequest, session: LiveSession | undefined, otherwise: ErrorCode) {
    const agent = await requireAgent(ctx, req);
    if (!session) return fail(otherwise);
    const ticket = await ctx.tokens.ticket({ role: 'agent', sessionId: session.id, agentId: agent.agentId, name: agent.name });
    return { sessionId: session.id, ticket, visitorName: session.visitorName };
  }

  api.post(
    '/api/v1/sessions/join',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Redeem the code a visitor reads out; returns a ticket for the agent WebSocket',
        body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 20 }) }, { additionalProperties: false }),
        response: { 200: AgentTicket },
      },
    },
    async (req) => agentTicket(req, ctx.sessions.findByCode(req.body.code), 'TDM_UNKNOWN_CODE'),
  );

  api.post(
    '/api/v1/sessions/:id/ticket',
    {
      schema: {
        tags: ['sessions'],
        summary: 'A fresh agent ticket for a live session (reconnects, the watch page)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: AgentTicket },
      },
    },
    async (req) => agentTicket(req, ctx.sessions.get(req.params.id), 'TDM_SESSION_ENDED'),
  );

  api.get(
    '/api/v1/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Recent sessions, newest first',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          active: Type.Optional(Type.Boolean()),
        }),
        response: { 200: Type.Object({ sessions: Type.Array(Session) }) },
      },
    },
    async (req) => {
      await requireAgentOrKey(ctx, req);
      const rows = await ctx.store.listSessions({ limit: req.query.limit ?? 50, active: req.query.active });
      return { sessions: rows.map((s) => ({ ...s, live: live(s.id) })) };
    },
  );

  api.get(
    '/api/v1/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'One session: who, when, how it ended (never page content)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: SessionDetail },
      },
    },
    async (req) => {
      await requireAgentOrKey(ctx, req);
      const s = (await ctx.store.getSession(req.params.id)) ?? fail('TDM_NOT_FOUND');
      return { ...s, live: live(s.id) };
    },
  );

  api.post(
    '/api/v1/sessions/:id/end',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End a live session for everyone',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      },
    },
    async (req, reply) => {
      const who = await requireAgentOrKey(ctx, req);
      const ended = await ctx.sessions.end(req.params.id, who === 'api-key' ? 'api' : 'agent');
      if (!ended) fail('TDM_SESSION_ENDED');
      return reply.code(204).send();
    },
  );
}
