/**
 * Site settings over REST: what an operator (an admin agent, or an
 * integration with an API key) changes for a site without touching its pages.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Context } from '../context.js';
import { requireAdmin, requirePrincipal, requireSite, requireSiteOperator, seesSite } from '../auth/principal.js';
import { fail } from '../http-errors.js';
import { describe } from './openapi.js';
import {
  CreateSiteBody,
  IdentitySecret,
  SelectorCountsList,
  Site,
  SiteList,
  SiteParams,
  SiteSettings,
  SiteSettingsPatch,
} from '@tandem/protocol/schema';

/** Live pages a selector-counts answer lists at most: enough to see a rule work, not a list of visitors. */
const MAX_COUNTED_PAGES = 5;

export async function siteRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/sites',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'] },
        {
          tags: ['sites'],
          summary: 'The sites this server serves (a site’s key sees its own)',
          response: { 200: SiteList },
        },
      ),
    },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      const sites = (await ctx.sites.list()).filter((s) => seesSite(who, s.key));
      return { sites: sites.map((s) => ({ key: s.key, name: s.name })) };
    },
  );

  api.post(
    '/api/v1/sites',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_CONFLICT'] },
        {
          tags: ['sites'],
          summary: 'Add a site (admins only); its pages may start sessions at once',
          body: CreateSiteBody,
          response: { 201: Site },
        },
      ),
    },
    async (req, reply) => {
      requireAdmin(await requirePrincipal(ctx, req), 'Only an admin adds sites.');
      const site = await ctx.sites.create(req.body.key, req.body.name);
      return reply.code(201).send({ key: site.key, name: site.name });
    },
  );

  api.get(
    '/api/v1/sites/:key/settings',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_UNKNOWN_SITE'] },
        {
          tags: ['sites'],
          summary: 'A site’s settings',
          params: SiteParams,
          response: { 200: SiteSettings },
        },
      ),
    },
    async (req) => {
      requireSite(await requirePrincipal(ctx, req), req.params.key);
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      return ctx.sites.settings(req.params.key);
    },
  );

  api.post(
    '/api/v1/sites/:key/identity-secret',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE'] },
        {
          tags: ['sites'],
          summary: 'A new secret the site’s server signs visitors’ unique ids with (HMAC-SHA256, hex); shown once',
          params: SiteParams,
          response: { 201: IdentitySecret },
        },
      ),
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
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE'] },
        {
          tags: ['sites'],
          summary: 'Change a site’s settings; new masking rules reach live sessions at once',
          params: SiteParams,
          body: SiteSettingsPatch,
          response: { 200: SiteSettings },
        },
      ),
    },
    async (req) => {
      const who = await requirePrincipal(ctx, req);
      requireSiteOperator(who, req.params.key, 'Only an admin changes site settings.');
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      // Who may frame the agent's page concerns every site's agents, not this site's alone.
      if (req.body.agentDesktopOrigins !== undefined) {
        requireAdmin(who, 'Only an admin allows agent desktops to embed the agent page.');
        req.body.agentDesktopOrigins.forEach((origin, i) => {
          if (!URL.canParse(origin))
            fail('TDM_BAD_MESSAGE', `agentDesktopOrigins: ${origin} is not an origin.`, {
              errors: [{ field: `/body/agentDesktopOrigins/${i}`, problem: 'is not an origin (scheme, host, port)' }],
            });
        });
      }
      return ctx.sites.update(req.params.key, req.body);
    },
  );

  api.get(
    '/api/v1/sites/:key/selector-counts',
    {
      schema: describe(
        { auth: ['agentCookie', 'apiKey'], errors: ['TDM_FORBIDDEN', 'TDM_UNKNOWN_SITE'] },
        {
          tags: ['sites'],
          summary:
            'How many elements each masking and blocking rule matches on the site’s live pages (the most recent first, a few at most); as the pages say it',
          params: SiteParams,
          response: { 200: SelectorCountsList },
        },
      ),
    },
    async (req) => {
      // Those who write the rules: an admin, or the site's own key. Where visitors are is not for every agent.
      requireSiteOperator(await requirePrincipal(ctx, req), req.params.key, 'Only an admin sees how the masking rules match.');
      if (!ctx.sites.known(req.params.key)) fail('TDM_UNKNOWN_SITE');
      const reports = await ctx.registry.selectorReports(req.params.key, MAX_COUNTED_PAGES);
      return { pages: reports };
    },
  );
}
