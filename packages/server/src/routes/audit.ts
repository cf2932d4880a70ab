/** A session's audit trail: what its agents did, as metadata, with the chain checked. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AuditQuery, AuditTrail, IdParams } from '@tandem/protocol/schema';
import type { Context } from '../context.js';
import { isAdmin, requirePrincipal, seesSite } from '../auth/principal.js';
import { fail } from '../http-errors.js';
import { verifyAuditChain } from '../audit/trail.js';
import { describe } from './openapi.js';

export async function auditRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/sessions/:id/audit',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_NOT_FOUND'] },
        {
          tags: ['audit'],
          summary:
            'What the agents did in a session (joined, left, modes asked and granted, each action and where it landed; never what was typed), in chain order, with the hash chain verified',
          description:
            'For an admin, an agent who joined the session, or a key of the session’s site (another site’s session answers 404). ' +
            '`verified` covers the whole chain, not only this page; `problem` names the first entry that fails.',
          params: IdParams,
          querystring: AuditQuery,
          response: { 200: AuditTrail },
        },
      ),
    },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      const session = (await ctx.store.getSession(req.params.id)) ?? fail('TDM_NOT_FOUND');
      if (!seesSite(who, session.siteKey)) fail('TDM_NOT_FOUND');
      if (who.kind === 'agent' && !isAdmin(who) && !(await ctx.store.joinedSessions(who.agentId, [session.id])).has(session.id)) {
        fail('TDM_FORBIDDEN', 'Only an admin, or an agent who joined the session, may read its audit trail.');
      }
      const limit = req.query.limit ?? 100;
      const after = req.query.cursor === undefined ? undefined : Number(req.query.cursor);
      // One more than asked: whether a next page exists, without a second query.
      const [rows, check] = await Promise.all([
        ctx.store.listAudit(session.id, { after, limit: limit + 1 }),
        verifyAuditChain(ctx.store, session.id),
      ]);
      const entries = rows.slice(0, limit);
      return {
        sessionId: session.id,
        siteKey: session.siteKey,
        verified: check.ok,
        ...(check.ok ? {} : { problem: { position: check.position, message: check.problem } }),
        entries: entries.map(({ sessionId: _s, siteKey: _k, ...entry }) => entry),
        next: rows.length > limit ? String(entries[entries.length - 1]!.position) : null,
      };
    },
  );
}
