/**
 * The machine-readable contracts: OpenAPI for REST (made by @fastify/swagger
 * from the route schemas) and AsyncAPI for the WebSocket channels (made from
 * the protocol's message tables). Both come from what the server validates with.
 */
import type { FastifyInstance } from 'fastify';
import { asyncApiDocument } from '@tandem/protocol/schema';

export async function contractRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/api/v1/asyncapi.json', { schema: { hide: true } }, async (req) => asyncApiDocument(req.host));
}
