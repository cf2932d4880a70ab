/**
 * API keys over REST, for admins (an admin agent or an admin key): list them,
 * create one for a site or for every site (the key is in that answer only),
 * revoke one. A revoked key answers 401 from then on, its watch URLs and their
 * grants stop, and a controller socket holding it is closed at its next command.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiKeyList, CreateApiKeyBody, CreatedApiKey, IdParams } from '@tandem/protocol/schema';
import type { Context } from '../context.js';
import { issueApiKey } from '../auth/api-keys.js';
import { requireAdmin, requirePrincipal } from '../auth/principal.js';
import { fail } from '../http-errors.js';
import type { ApiKeyRecord } from '../store/store.js';
import { describe, NoContent } from './openapi.js';

const view = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  site: k.siteKey,
  admin: k.admin,
  createdAt: k.createdAt,
  revokedAt: k.revokedAt ?? null,
});

export async function keyRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = async (req: Parameters<typeof requirePrincipal>[1]) =>
    requireAdmin(await requirePrincipal(ctx, req), 'Only an admin manages API keys.');

  api.get(
    '/api/v1/keys',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN'] },
        { tags: ['keys'], summary: 'Every API key, revoked ones marked (never the keys themselves)', response: { 200: ApiKeyList } },
      ),
    },
    async (req) => {
      await admin(req);
      return { keys: (await ctx.store.listApiKeys()).map(view) };
    },
  );

  api.post(
    '/api/v1/keys',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE'] },
        {
          tags: ['keys'],
          summary: 'Create an API key for one site, or (admin: true) for every site; the answer is the only place the key is shown',
          body: CreateApiKeyBody,
          response: { 201: CreatedApiKey },
        },
      ),
    },
    async (req, reply) => {
      await admin(req);
      const { name, site, admin: forEverySite } = req.body;
      if ((site === undefined) === (forEverySite !== true)) {
        fail('TDM_BAD_MESSAGE', 'Give either site or admin: true.', {
          errors: [{ field: '/body/site', problem: 'is required unless admin is true, and not allowed with it' }],
        });
      }
      if (site !== undefined && !ctx.sites.known(site)) fail('TDM_UNKNOWN_SITE');
      const { record, key } = await issueApiKey(ctx.store, name.trim() || 'key', site !== undefined ? { siteKey: site } : { admin: true });
      return reply.code(201).send({ ...view(record), key });
    },
  );

  api.delete(
    '/api/v1/keys/:id',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN'] },
        { tags: ['keys'], summary: 'Revoke an API key: it opens nothing from now on', params: IdParams, response: { 204: NoContent } },
      ),
    },
    async (req, reply) => {
      await admin(req);
      if (!(await ctx.store.revokeApiKey(req.params.id, new Date().toISOString())))
        fail('TDM_NOT_FOUND', 'No such key, or it was revoked already.');
      return reply.code(204).send();
    },
  );
}
