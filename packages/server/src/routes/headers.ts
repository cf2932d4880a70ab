/**
 * Headers every API answer and SDK bundle carries. nosniff: a browser must
 * never take a JSON answer or the bundle for another type. no-store: API
 * answers hold codes, sessions and secrets that no cache should keep. The
 * bundles keep their own short public cache (pages.ts).
 */
import type { FastifyInstance } from 'fastify';

const BUNDLES = new Set(['/tandem.js', '/tandem-session.js', '/tandem-compress.js', '/tandem-viewer.js']);

/** Added to the root instance (not an encapsulated plugin), so it sees every route and every error. */
export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply) => {
    const path = req.url.split('?', 1)[0]!;
    if (path.startsWith('/api/')) {
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Cache-Control', 'no-store');
    } else if (BUNDLES.has(path)) {
      reply.header('X-Content-Type-Options', 'nosniff');
    }
  });
}
