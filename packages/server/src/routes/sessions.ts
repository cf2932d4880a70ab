/** Sessions for agents and integrations: join by code, list, inspect, end. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorCode } from '@tandem/protocol';
import type { LiveSession } from '../live/sessions.js';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireAgent, type Context } from '../context.js';
import { isAdmin, requirePrincipal, seesSite, type Principal } from '../auth/principal.js';
import { fail } from '../http-errors.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Session = Type.Object({
  id: Type.String(),
  siteKey: Type.String(),
  /** Shown to admins, site keys, and agents who joined the session (a code lets anyone in). */
  code: Type.Optional(Type.String()),
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

  /** Which of these sessions the caller may see the code of: an agent who is not an admin, only those they joined. */
  async function codeVisible(who: Principal, ids: string[]): Promise<(id: string) => boolean> {
    if (who.kind === 'key' || isAdmin(who)) return () => true;
    const joined = await ctx.store.joinedSessions(who.agentId, ids);
    return (id) => joined.has(id);
  }
  const hideCode = <T extends { id: string; code: string }>(s: T, visible: (id: string) => boolean) => {
    if (visible(s.id)) return s;
    const { code: _hidden, ...rest } = s;
    return rest;
  };

  /**
   * A ticket for the signed-in agent to open the agent WebSocket of this live
   * session. By id (`byCode` false), an agent who is not an admin gets one only
   * to rejoin a session they joined with its code.
   */
  async function agentTicket(req: FastifyRequest, session: LiveSession | undefined, otherwise: ErrorCode, byCode = true) {
    const agent = await requireAgent(ctx, req);
    if (!session) return fail(otherwise);
    if (!byCode && agent.role !== 'admin' && !(await ctx.store.joinedSessions(agent.agentId, [session.id])).has(session.id)) {
      return fail('TDM_FORBIDDEN', 'Join this session with its code first.');
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
    async (req) => agentTicket(req, ctx.sessions.get(req.params.id), 'TDM_SESSION_ENDED', false),
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
      const who = await requirePrincipal(ctx, req);
      const siteKey = who.kind === 'key' && who.siteKey !== null ? who.siteKey : undefined;
      const rows = await ctx.store.listSessions({ limit: req.query.limit ?? 50, active: req.query.active, siteKey });
      const visible = await codeVisible(who, rows.map((s) => s.id));
      return { sessions: rows.map((s) => hideCode({ ...s, live: live(s.id) }, visible)) };
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
      const who = await requirePrincipal(ctx, req);
      const s = (await ctx.store.getSession(req.params.id)) ?? fail('TDM_NOT_FOUND');
      if (!seesSite(who, s.siteKey)) fail('TDM_NOT_FOUND');
      return hideCode({ ...s, live: live(s.id) }, await codeVisible(who, [s.id]));
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
      const who = await requirePrincipal(ctx, req);
      const siteKey = ctx.sessions.get(req.params.id)?.siteKey ?? (await ctx.store.getSession(req.params.id))?.siteKey;
      if (siteKey !== undefined && !seesSite(who, siteKey)) fail('TDM_NOT_FOUND');
      const ended = await ctx.sessions.end(req.params.id, who.kind === 'key' ? 'api' : 'agent');
      if (!ended) fail('TDM_SESSION_ENDED');
      return reply.code(204).send();
    },
  );
}
