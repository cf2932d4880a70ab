/** What the routes and gateways share; built once by the app. */
import type { FastifyRequest } from 'fastify';
import type { Bus } from './bus/bus.js';
import type { ServerConfig } from './config.js';
import type { AgentClaims, Tokens } from './auth/tokens.js';
import { verifyApiKey } from './auth/api-keys.js';
import type { OriginPolicy } from './origins.js';
import type { Store } from './store/store.js';
import type { Sites } from './sites.js';
import type { Registry } from './live/registry.js';
import type { Rooms } from './live/room.js';
import type { SessionEvents } from './live/session-events.js';
import { fail } from './http-errors.js';

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
}

export const AGENT_COOKIE = 'tandem_agent';

/** The signed-in agent, or a 401. */
export async function requireAgent(ctx: Context, req: FastifyRequest): Promise<AgentClaims> {
  const token = req.cookies[AGENT_COOKIE];
  const claims = token ? await ctx.tokens.verifyAgent(token) : null;
  return claims ?? fail('TDM_UNAUTHORIZED');
}

/** A signed-in agent or an integration presenting an API key. */
export async function requireAgentOrKey(ctx: Context, req: FastifyRequest): Promise<AgentClaims | 'api-key'> {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    return (await verifyApiKey(ctx.store, auth.slice(7))) ? 'api-key' : fail('TDM_UNAUTHORIZED');
  }
  return requireAgent(ctx, req);
}
