/**
 * Who is calling the REST API, and what they may reach. An agent works for
 * every site (only admins change settings, and other agents see a live code
 * only once they joined its session); an API key belongs to one site, unless
 * it was made an admin key on purpose. Another site's things answer as if
 * they did not exist (404), so a key learns nothing about other sites.
 */
import type { FastifyRequest } from 'fastify';
import { isApiKey, verifyApiKey } from './api-keys.js';
import { requireAgent, type Context } from '../context.js';
import { fail } from '../http-errors.js';

export type Principal =
  | { kind: 'agent'; agentId: string; name: string; role: 'admin' | 'agent' }
  | { kind: 'key'; keyId: string; /** null: an admin key */ siteKey: string | null };

/** A signed-in agent or an API key (`Authorization: Bearer tdm_…`), or a 401. */
export async function requirePrincipal(ctx: Context, req: FastifyRequest): Promise<Principal> {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && isApiKey(auth.slice(7))) {
    const key = (await verifyApiKey(ctx.store, auth.slice(7))) ?? fail('TDM_UNAUTHORIZED');
    if (!key.admin && key.siteKey === null) return fail('TDM_UNAUTHORIZED');
    return { kind: 'key', keyId: key.id, siteKey: key.admin ? null : key.siteKey };
  }
  const agent = await requireAgent(ctx, req);
  return { kind: 'agent', agentId: agent.agentId, name: agent.name, role: agent.role };
}

export const isAdmin = (p: Principal): boolean => (p.kind === 'agent' ? p.role === 'admin' : p.siteKey === null);

export function requireAdmin(p: Principal, detail = 'Only an admin may do that.'): void {
  if (!isAdmin(p)) fail('TDM_FORBIDDEN', detail);
}

/** Agents reach every site; a site's key only its own. */
export const seesSite = (p: Principal, siteKey: string): boolean => p.kind === 'agent' || p.siteKey === null || p.siteKey === siteKey;

export function requireSite(p: Principal, siteKey: string): void {
  if (!seesSite(p, siteKey)) fail('TDM_UNKNOWN_SITE');
}

/** Who changes a site's settings: an admin, or the site's own key. */
export function requireSiteOperator(p: Principal, siteKey: string, detail: string): void {
  requireSite(p, siteKey);
  if (p.kind === 'agent') requireAdmin(p, detail);
}
