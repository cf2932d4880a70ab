/** What the routes and gateways share; built once by the app. */
import type { FastifyRequest } from 'fastify';
import type { Bus } from './bus/bus.js';
import type { ServerConfig } from './config.js';
import type { AgentClaims, Tokens } from './auth/tokens.js';
import type { LoginThrottle } from './auth/login-throttle.js';
import type { OriginPolicy } from './origins.js';
import type { Store } from './store/store.js';
import type { Sites } from './sites.js';
import type { Registry } from './live/registry.js';
import type { Rooms } from './live/room.js';
import type { SessionEvents } from './live/session-events.js';
import type { ShortIds } from './live/short-ids.js';
import { fail } from './http-errors.js';
import { isApiKey } from './auth/api-keys.js';

export interface Context {
  config: ServerConfig;
  store: Store;
  bus: Bus;
  tokens: Tokens;
  /** Everything live, as every node sees it. */
  registry: Registry;
  /** This node's rooms: the one way to tell a session's sockets anything. */
  rooms: Rooms;
  events: SessionEvents;
  origins: OriginPolicy;
  sites: Sites;
  loginThrottle: LoginThrottle;
  shortIds: ShortIds;
}

export const AGENT_COOKIE = 'tandem_agent';

/**
 * The agent's sign-in token: the console's cookie or, where a cookie cannot go (the watch page
 * framed by an agent desktop on another site, where it would be a third-party cookie), the same
 * token as `Authorization: Bearer`, kept by the page in its own tab's storage.
 */
export function agentToken(req: FastifyRequest): string {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && !isApiKey(auth.slice(7))) return auth.slice(7);
  return req.cookies[AGENT_COOKIE] ?? '';
}

/**
 * The signed-in agent, or a 401. A valid signature is not enough: the sign-in
 * must still stand (logout and disabling revoke it) and the agent must exist
 * and be enabled; the role is the agent's now, not when the cookie was made.
 */
export async function requireAgent(ctx: Context, req: FastifyRequest): Promise<AgentClaims & { jti: string }> {
  const token = await ctx.tokens.verifyAgent(agentToken(req));
  if (!token) return fail('TDM_UNAUTHORIZED');
  const signIn = await ctx.store.findSignIn(token.jti);
  if (!signIn || signIn.revokedAt || signIn.agentId !== token.agentId) return fail('TDM_UNAUTHORIZED');
  const agent = await ctx.store.findAgentById(token.agentId);
  if (!agent || agent.disabledAt) return fail('TDM_UNAUTHORIZED');
  return { agentId: agent.id, name: agent.name, role: agent.role, jti: token.jti };
}
