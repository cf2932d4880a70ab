/** Agent sign-in: a signed, httpOnly cookie for the console. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { checkPassword } from '../auth/passwords.js';
import { AGENT_COOKIE, requireAgent, type Context } from '../context.js';
import { fail } from '../http-errors.js';

const Agent = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String() });

export async function authRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['agents'],
        summary: 'Sign an agent in',
        body: Type.Object(
          { email: Type.String({ maxLength: 200 }), password: Type.String({ maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 200: Agent },
      },
    },
    async (req, reply) => {
      const agent = await ctx.store.findAgentByEmail(req.body.email.trim().toLowerCase());
      // Check a password even for an unknown email, so timing does not tell which emails exist.
      const ok = await checkPassword(agent?.passwordHash ?? DUMMY_HASH, req.body.password);
      if (!agent || !ok) fail('TDM_BAD_CREDENTIALS');
      const token = await ctx.tokens.agent({ agentId: agent!.id, name: agent!.name, role: agent!.role });
      reply.setCookie(AGENT_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https' });
      return { id: agent!.id, name: agent!.name, role: agent!.role };
    },
  );

  api.post('/api/v1/auth/logout', { schema: { tags: ['agents'], summary: 'Sign out' } }, async (_req, reply) => {
    reply.clearCookie(AGENT_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  api.get('/api/v1/auth/me', { schema: { tags: ['agents'], summary: 'The signed-in agent', response: { 200: Agent } } }, async (req) => {
    const claims = await requireAgent(ctx, req);
    return { id: claims.agentId, name: claims.name, role: claims.role };
  });
}

/** An argon2id hash of a random string, so an unknown email costs as much as a known one. */
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Qm7bJ3z2d2cBf2G2lq1zJc1oGJ0wQ7o9w8V2hGvW0dA';
