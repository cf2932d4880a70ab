/**
 * Agents, managed by admins: list, create, rename, change role, disable. A
 * disabled agent's sign-ins are revoked at once and its id goes out on
 * `agents:revoked`, for the gateways to close its sockets.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { changeAgent, createAgent } from '../auth/agents.js';
import { requireAdmin, requirePrincipal } from '../auth/principal.js';
import type { Context } from '../context.js';
import { fail, uniqueViolation } from '../http-errors.js';
import { describe } from './openapi.js';
import type { AgentRecord } from '../store/store.js';

const Role = Type.Union([Type.Literal('admin'), Type.Literal('agent')]);
const Agent = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Role,
  disabled: Type.Boolean(),
  createdAt: Type.String(),
});
const view = (a: AgentRecord) => ({
  id: a.id,
  email: a.email,
  name: a.name,
  role: a.role,
  disabled: a.disabledAt !== null,
  createdAt: a.createdAt,
});

export async function agentRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = async (req: Parameters<typeof requirePrincipal>[1]) =>
    requireAdmin(await requirePrincipal(ctx, req), 'Only an admin manages agents.');

  api.get(
    '/api/v1/agents',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN'] },
        { tags: ['agents'], summary: 'Every agent (admins only)', response: { 200: Type.Object({ agents: Type.Array(Agent) }) } },
      ),
    },
    async (req) => {
      await admin(req);
      return { agents: (await ctx.store.listAgents()).map(view) };
    },
  );

  api.post(
    '/api/v1/agents',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_CONFLICT'] },
        {
          tags: ['agents'],
          summary: 'Create an agent (admins only)',
          body: Type.Object(
            {
              email: Type.String({ minLength: 3, maxLength: 200 }),
              password: Type.String({ minLength: 8, maxLength: 200 }),
              name: Type.Optional(Type.String({ maxLength: 100 })),
              role: Type.Optional(Role),
            },
            { additionalProperties: false },
          ),
          response: { 201: Agent },
        },
      ),
    },
    async (req, reply) => {
      await admin(req);
      if (await ctx.store.findAgentByEmail(req.body.email.trim().toLowerCase())) fail('TDM_CONFLICT', 'An agent with this email exists.');
      // Another request (on another node) created the same email since the check: a conflict, never the database's words.
      const created = await createAgent(ctx.store, req.body).catch((err: Error) =>
        uniqueViolation(err) ? fail('TDM_CONFLICT', 'An agent with this email exists.') : fail('TDM_BAD_MESSAGE', err.message),
      );
      return reply.code(201).send(view(created));
    },
  );

  api.patch(
    '/api/v1/agents/:id',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_NOT_FOUND', 'TDM_CONFLICT'] },
        {
          tags: ['agents'],
          summary: 'Rename, change the role of, disable or enable an agent (admins only); disabling signs them out at once',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          body: Type.Object(
            {
              disabled: Type.Optional(Type.Boolean()),
              role: Type.Optional(Role),
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Agent },
        },
      ),
    },
    async (req) => {
      await admin(req);
      const { agent, revoked } = await changeAgent(ctx.store, req.params.id, req.body);
      // Its open viewers close too, on every node: a disabled agent watches nothing more.
      if (revoked) await ctx.rooms.revokeAgent(agent.id);
      return view(agent);
    },
  );
}
