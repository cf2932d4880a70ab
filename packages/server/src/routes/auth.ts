/** Agent sign-in: a signed, httpOnly cookie for the console, throttled (login-throttle.ts), revoked on logout. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { checkPassword } from '../auth/passwords.js';
import { DEVICE_COOKIE_MAX_AGE_S } from '../auth/tokens.js';
import { AGENT_COOKIE, agentToken, requireAgent, type Context } from '../context.js';
import { fail } from '../http-errors.js';
import { describe, NoContent } from './openapi.js';

/** The browser's device cookie: it exempts a browser that signed in before from the per-account limit. */
const DEVICE_COOKIE = 'tandem_device';

const Agent = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String() });

export async function authRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post(
    '/api/v1/auth/login',
    {
      schema: describe(
        { auth: ['none'], errors: ['TDM_RATE_LIMITED', 'TDM_BAD_CREDENTIALS', 'TDM_ACCOUNT_DISABLED'] },
        {
          tags: ['agents'],
          summary: 'Sign an agent in: sets the agent cookie',
          body: Type.Object(
            {
              email: Type.String({ maxLength: 200 }),
              password: Type.String({ maxLength: 200 }),
              /** Also answer the sign-in token, for a page framed on another site (no cookie reaches it there). */
              token: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Intersect([Agent, Type.Object({ token: Type.Optional(Type.String()) })]) },
        },
      ),
    },
    async (req, reply) => {
      const email = req.body.email.trim().toLowerCase();
      const agent = await ctx.store.findAgentByEmail(email);
      const device = await ctx.tokens.verifyDevice(req.cookies[DEVICE_COOKIE] ?? '');
      // A device cookie counts only for the account it was given for.
      const attempt = { address: req.ip, account: email, device: agent && device?.agentId === agent.id ? device.deviceId : null };
      const waitMs = await ctx.loginThrottle.begin(attempt);
      if (waitMs !== null) {
        const seconds = Math.ceil(waitMs / 1000);
        reply.header('Retry-After', String(seconds));
        return fail('TDM_RATE_LIMITED', `Try signing in again in ${seconds} s.`);
      }
      // Check a password even for an unknown email, so timing does not tell which emails exist.
      const ok = await checkPassword(agent?.passwordHash ?? DUMMY_HASH, req.body.password);
      if (!agent || !ok) return fail('TDM_BAD_CREDENTIALS');
      await ctx.loginThrottle.succeeded(attempt);
      if (agent.disabledAt) return fail('TDM_ACCOUNT_DISABLED');
      const signIn = await ctx.tokens.agent(agent.id);
      await ctx.store.createSignIn({
        jti: signIn.jti,
        agentId: agent.id,
        createdAt: new Date().toISOString(),
        expiresAt: signIn.expiresAt.toISOString(),
        revokedAt: null,
      });
      const secure = req.protocol === 'https';
      reply.setCookie(AGENT_COOKIE, signIn.token, { path: '/', httpOnly: true, sameSite: 'strict', secure });
      reply.setCookie(DEVICE_COOKIE, await ctx.tokens.device(agent.id, attempt.device ?? undefined), {
        path: '/api/v1/auth/',
        httpOnly: true,
        sameSite: 'strict',
        secure,
        maxAge: DEVICE_COOKIE_MAX_AGE_S,
      });
      return { id: agent.id, name: agent.name, role: agent.role, ...(req.body.token ? { token: signIn.token } : {}) };
    },
  );

  api.post(
    '/api/v1/auth/logout',
    {
      schema: describe(
        { auth: ['agentCookie', 'none'] },
        { tags: ['agents'], summary: 'Sign out (the cookie stops working everywhere)', response: { 204: NoContent } },
      ),
    },
    async (req, reply) => {
      const token = await ctx.tokens.verifyAgent(agentToken(req));
      if (token) await ctx.store.revokeSignIn(token.jti, token.agentId, new Date().toISOString(), token.expiresAt.toISOString());
      reply.clearCookie(AGENT_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  const me = describe({ auth: ['agentCookie'] }, { tags: ['agents'], summary: 'The signed-in agent', response: { 200: Agent } });
  api.get('/api/v1/auth/me', { schema: me }, async (req) => {
    const claims = await requireAgent(ctx, req);
    return { id: claims.agentId, name: claims.name, role: claims.role };
  });
}

/** An argon2id hash of a random string, so an unknown email costs as much as a known one. */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Qm7bJ3z2d2cBf2G2lq1zJc1oGJ0wQ7o9w8V2hGvW0dA';
