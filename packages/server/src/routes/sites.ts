/**
 * Site settings over REST: what an operator (an admin agent, or an
 * integration with an API key) changes for a site without touching its pages.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Context } from '../context.js';
import { requireAdmin, requirePrincipal, requireSite, requireSiteOperator, seesSite } from '../auth/principal.js';
import { fail } from '../http-errors.js';
import { MAX_RULE_CHARS, MAX_RULES, SITE_KEY_PATTERN } from '../sites.js';

const Rules = Type.Array(Type.String({ minLength: 1, maxLength: MAX_RULE_CHARS }), { maxItems: MAX_RULES });
/** A mode, as a schema (MODES in the protocol lists the same three). */
export const ModeSchema = Type.Union([Type.Literal('view'), Type.Literal('navigate'), Type.Literal('control')]);
const Mode = ModeSchema;
const Settings = Type.Object({
  defaultMode: Mode,
  presence: Type.Boolean(),
  masking: Type.Object({ selectors: Rules, blockSelectors: Rules }),
});
const Site = Type.Object({ key: Type.String(), name: Type.String() });
const Params = Type.Object({ key: Type.String({ minLength: 1, maxLength: 100 }) });

export async function siteRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/sites',
    { schema: { tags: ['sites'], summary: 'The sites this server serves (a site’s key sees its own)', response: { 200: Type.Object({ sites: Type.Array(Site) }) } } },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      const sites = (await ctx.sites.list()).filter((s) => seesSite(who, s.key));
      return { sites: sites.map((s) => ({ key: s.key, name: s.name })) };
    },
  );

  api.post(
    '/api/v1/sites',
    {
      schema: {
        tags: ['sites'],
        summary: 'Add a site (admins only); its pages may start sessions at once',
        body: Type.Object(
          { key: Type.String({ pattern: SITE_KEY_PATTERN }), name: Type.Optional(Type.String({ maxLength: 200 })) },
          { additionalProperties: false },
        ),
        response: { 201: Site },
      },
    },
    async (req, reply) => {
      requireAdmin(await requirePrincipal(ctx, req), 'Only an admin adds sites.');
      const site = await ctx.sites.create(req.body.key, req.body.name);
      return reply.code(201).send({ key: site.key, name: site.name });
    },
  );

  api.get(
    '/api/v1/sites/:key/settings',
    { schema: { tags: ['sites'], summary: 'A site’s settings', params: Params, response: { 200: Settings } } },
    async (req) => {
      requireSite(await requirePrincipal(ctx, req), req.params.key);
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      return ctx.sites.settings(req.params.key);
    },
  );

  api.post(
    '/api/v1/sites/:key/identity-secret',
    {
      schema: {
        tags: ['sites'],
        summary: 'A new secret the site’s server signs visitors’ unique ids with (HMAC-SHA256, hex); shown once',
        params: Params,
        response: { 201: Type.Object({ secret: Type.String() }) },
      },
    },
    async (req, reply) => {
      requireSiteOperator(await requirePrincipal(ctx, req), req.params.key, 'Only an admin sets the identity secret.');
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      return reply.code(201).send({ secret: await ctx.sites.rotateIdentitySecret(req.params.key) });
    },
  );

  api.patch(
    '/api/v1/sites/:key/settings',
    {
      schema: {
        tags: ['sites'],
        summary: 'Change a site’s settings; new masking rules reach live sessions at once',
        params: Params,
        body: Type.Object(
          {
            defaultMode: Type.Optional(Mode),
            presence: Type.Optional(Type.Boolean()),
            masking: Type.Optional(
              Type.Object({ selectors: Type.Optional(Rules), blockSelectors: Type.Optional(Rules) }, { additionalProperties: false }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Settings },
      },
    },
    async (req) => {
      requireSiteOperator(await requirePrincipal(ctx, req), req.params.key, 'Only an admin changes site settings.');
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      return ctx.sites.update(req.params.key, req.body);
    },
  );
}
