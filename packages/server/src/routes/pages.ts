/**
 * Static pages and bundles: the SDK, the demo site, the console and the watch
 * page. The console and watch pages get a strict Content-Security-Policy: it is
 * the backstop behind the rebuild's own rules, and the rebuilt page's iframe
 * (about:blank) inherits it, so no script from a visited page can run there.
 */
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { demoDir } from '@tandem/demo';
import { sdkDistDir } from '@tandem/sdk/assets';
import { consoleDirs } from '@tandem/console/assets';
import { watchDirs } from '@tandem/viewer/assets';

const AGENT_PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  // The rebuilt page needs a <base> on the visitor's site; the console itself has none.
  'base-uri http: https:',
  "form-action 'none'",
  "frame-ancestors 'self'",
  // The rebuilt page loads its images, styles, fonts and media from the visitor's site.
  'img-src * data: blob:',
  "style-src 'self' 'unsafe-inline' *",
  'font-src * data:',
  'media-src *',
  "connect-src 'self'",
];

export const AGENT_PAGE_CSP = AGENT_PAGE_POLICY.join('; ');

/**
 * The watch page's policy: as the console's, except that the agent desktops an admin allowed
 * may frame it. No other origin can: the browser refuses to show it there.
 */
export function watchPageCsp(desktopOrigins: readonly string[]): string {
  return AGENT_PAGE_POLICY.map((d) => (d.startsWith('frame-ancestors') ? ["frame-ancestors 'self'", ...desktopOrigins].join(' ') : d)).join(
    '; ',
  );
}

export async function pageRoutes(app: FastifyInstance, desktopOrigins: () => Promise<string[]>, draining: () => boolean): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
  // A node that is shutting down says so, and a load balancer's health check stops sending it clients.
  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) =>
    draining() ? reply.code(503).send({ ok: false, draining: true }) : { ok: true },
  );

  await app.register(fastifyStatic, { root: demoDir, prefix: '/demo/', decorateReply: true });
  // The SDK for sites' pages, and the <tandem-viewer> element for agent desktops' pages.
  for (const [file, dir] of [
    ['tandem.js', sdkDistDir],
    ['tandem-session.js', sdkDistDir],
    // Fetched by the session bundle (a page of another origin: CORS below) and started as a worker from a blob: URL.
    ['tandem-compress.js', sdkDistDir],
    ['tandem-viewer.js', watchDirs[1]!],
  ] as const) {
    app.get(`/${file}`, { schema: { hide: true } }, (_req, reply) => {
      // Pages of other origins load these; short caching keeps upgrades quick.
      reply.header('Cache-Control', 'public, max-age=300').header('Access-Control-Allow-Origin', '*');
      // cacheControl: false, or @fastify/static replaces the header above with max-age=0.
      return reply.sendFile(file, dir, { cacheControl: false });
    });
  }

  await app.register(async (scope) => {
    scope.addHook('onSend', async (req, reply) => {
      const isWatchPage = req.routeOptions.url === '/watch';
      reply.header('Content-Security-Policy', isWatchPage ? watchPageCsp(await desktopOrigins()) : AGENT_PAGE_CSP);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Referrer-Policy', 'no-referrer');
    });
    await scope.register(fastifyStatic, { root: consoleDirs, prefix: '/console/', decorateReply: false });
    await scope.register(fastifyStatic, { root: watchDirs, prefix: '/watch-assets/', decorateReply: false });
    scope.get('/watch', { schema: { hide: true } }, (_req, reply) => reply.sendFile('watch.html', watchDirs[0]));
  });
}
