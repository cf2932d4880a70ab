/**
 * The Tandem server: one process that serves the pages, the REST API and the
 * WebSocket gateways. Each feature registers itself as a fastify plugin; this
 * file only wires them to the shared context.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import { closeCodes, errorBody, type ErrorCode } from '@tandem/protocol';
import { MemoryBus } from './bus/memory.js';
import type { Bus } from './bus/bus.js';
import type { ServerConfig } from './config.js';
import type { Context } from './context.js';
import { Tokens } from './auth/tokens.js';
import { loadServerSecret } from './auth/server-secret.js';
import { SecretBox } from './auth/secret-box.js';
import { ensureAdmin } from './auth/agents.js';
import { createGateways } from './gateways/upgrade.js';
import { LiveSessions } from './live/sessions.js';
import { OriginPolicy } from './origins.js';
import { openSqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';
import { TandemError } from './http-errors.js';
import { authRoutes } from './routes/auth.js';
import { pageRoutes } from './routes/pages.js';
import { sessionRoutes } from './routes/sessions.js';
import { visitorRoutes } from './routes/visitor.js';
import { siteRoutes } from './routes/sites.js';
import { Sites } from './sites.js';
import { Presence } from './live/presence.js';
import { presenceRoutes } from './routes/presence.js';
import { securityHeaders } from './routes/headers.js';
import { compileTrust } from './net/client-address.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { LoginThrottle } from './auth/login-throttle.js';
import { agentRoutes } from './routes/agents.js';
import { PROTOCOL_VERSION } from '@tandem/protocol';

export interface TandemServer {
  app: FastifyInstance;
  context: Context;
  /** The address the server listens on, such as http://127.0.0.1:8080. */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  store?: Store;
  bus?: Bus;
  /** Where the first-start admin password is printed. */
  print?: (line: string) => void;
  logger?: boolean;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<TandemServer> {
  const print = options.print ?? ((line: string) => console.log(line));
  const store = options.store ?? (await openSqliteStore(config.dataDir));
  const bus = options.bus ?? new MemoryBus();
  const secret = await loadServerSecret(config.dataDir, store, config.secret);
  const tokens = new Tokens(secret);
  await ensureAdmin(store, config.adminEmail, config.adminPassword, print);

  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    bodyLimit: 64 * 1024,
    // Forwarded headers only from the proxies the operator named (TANDEM_TRUST_PROXY).
    trustProxy: compileTrust(config.trustProxy),
  });
  const sessions = new LiveSessions(store, bus, config.resumeGraceMs, (err) => app.log.error(err));
  const origins = new OriginPolicy(config.allowedOrigins);
  const sites = new Sites(store, bus, config.siteKeys, new SecretBox(secret, 'site identity secrets'));
  await sites.start();
  const presence = new Presence();
  const loginThrottle = new LoginThrottle((limit) => new RateLimiterMemory(limit));
  const context: Context = { config, store, bus, tokens, sessions, origins, sites, presence, loginThrottle };
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof TandemError) return reply.code(err.statusCode).send({ code: err.code, message: err.message });
    const e = err as { validation?: unknown; statusCode?: number; message: string };
    if (e.validation) return reply.code(400).send(errorBody('TDM_BAD_MESSAGE', e.message));
    const status = e.statusCode && e.statusCode < 500 ? e.statusCode : 500;
    if (status === 500) app.log.error(err);
    const code: ErrorCode = status === 413 ? 'TDM_TOO_LARGE' : status === 404 ? 'TDM_NOT_FOUND' : 'TDM_BAD_MESSAGE';
    return reply.code(status).send(errorBody(status === 500 ? 'TDM_INTERNAL' : code, status === 500 ? undefined : e.message));
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errorBody('TDM_NOT_FOUND')));

  securityHeaders(app);
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Tandem REST API', version: `1 (protocol ${PROTOCOL_VERSION})` },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from `npx tandem key create`' },
          agentCookie: { type: 'apiKey', in: 'cookie', name: 'tandem_agent' },
        },
      },
    },
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(async (scope) => visitorRoutes(scope, context));
  await app.register(async (scope) => authRoutes(scope, context));
  await app.register(async (scope) => agentRoutes(scope, context));
  await app.register(async (scope) => sessionRoutes(scope, context));
  await app.register(async (scope) => siteRoutes(scope, context));
  await app.register(async (scope) => presenceRoutes(scope, context));
  await app.register(pageRoutes);

  const gateways = createGateways({ tokens, sessions, bus, origins, sites, presence, trustProxy: config.trustProxy });
  app.server.on('upgrade', gateways.handleUpgrade);

  const purge = setInterval(() => {
    const before = new Date(Date.now() - config.retentionDays * 86_400_000).toISOString();
    store.purgeSessions(before).catch((err) => app.log.error(err));
    store.purgeSignIns(new Date().toISOString()).catch((err) => app.log.error(err));
  }, 3_600_000);
  purge.unref();

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;

  return {
    app,
    context,
    url: `http://${host}:${port}`,
    async close() {
      clearInterval(purge);
      // Clients are told to reconnect; the embedded registry ends with this process.
      gateways.close(closeCodes.restart, 'server restarting');
      await sessions.endAll('server');
      await app.close();
      await bus.close();
      await store.close();
    },
  };
}
