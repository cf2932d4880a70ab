/**
 * The Tandem server: one process that serves the pages, the REST API and the
 * WebSocket gateways. Each feature registers itself as a fastify plugin; this
 * file only wires them to the shared context.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROTOCOL_VERSION, closeCodes, errors, problem, type ErrorCode } from '@tandem/protocol';
import { MemoryBus } from './bus/memory.js';
import type { Bus } from './bus/bus.js';
import type { ServerConfig } from './config.js';
import type { Context } from './context.js';
import { Tokens } from './auth/tokens.js';
import { SecretBox } from './auth/secret-box.js';
import { createGateways } from './gateways/upgrade.js';
import { MemoryRegistry } from './live/memory-registry.js';
import { openRedisLive } from './redis/live.js';
import type { Registry } from './live/registry.js';
import { Rooms } from './live/room.js';
import { SessionEvents } from './live/session-events.js';
import { writeMetadata } from './live/metadata.js';
import { OriginPolicy } from './origins.js';
import { openStore } from './store/open.js';
import { firstStart } from './first-start.js';
import type { Store } from './store/store.js';
import { instanceOf, PROBLEM_CONTENT_TYPE, problemFor, refuseInfiniteQuery, sendProblem } from './http-errors.js';
import { authRoutes } from './routes/auth.js';
import { pageRoutes } from './routes/pages.js';
import { sessionRoutes } from './routes/sessions.js';
import { visitorRoutes } from './routes/visitor.js';
import { siteRoutes } from './routes/sites.js';
import { Sites } from './sites.js';
import { presenceRoutes } from './routes/presence.js';
import { watchRoutes } from './routes/watch.js';
import { keyRoutes } from './routes/keys.js';
import { contractRoutes } from './routes/contracts.js';
import { apiDocsRoutes } from './routes/api-docs.js';
import { documentRoutes, type RouteSeen } from './routes/openapi.js';
import { securityHeaders } from './routes/headers.js';
import { compileTrust } from './net/client-address.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { agentRoutes } from './routes/agents.js';
import { ShortIds } from './live/short-ids.js';
import { webhookRoutes } from './routes/webhooks.js';
import { Webhooks } from './webhooks/index.js';
import { auditRoutes } from './routes/audit.js';
import { writeAuditTrail } from './audit/trail.js';

/** How long a shutdown waits for HTTP requests in flight before it closes their connections. */
const CLOSE_GRACE_MS = 5000;

export interface TandemServer {
  app: FastifyInstance;
  context: Context;
  /** The address the server listens on, such as http://127.0.0.1:8080. */
  url: string;
  /** Every route fastify added (the contract test compares them with the OpenAPI document). */
  routes: readonly RouteSeen[];
  close(): Promise<void>;
}

export interface StartOptions {
  store?: Store;
  bus?: Bus;
  /**
   * The live registry. Given, it is shared with other nodes and outlives this
   * one: on shutdown this node's clients are told to reconnect elsewhere and
   * their sessions go on. Left out, it lives and dies with this process.
   */
  registry?: Registry;
  /** Where the first-start admin password is printed. */
  print?: (line: string) => void;
  logger?: boolean;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<TandemServer> {
  const print = options.print ?? ((line: string) => console.log(line));
  const store = options.store ?? (await openStore(config));
  const secret = await firstStart(store, config, print).catch(async (err: unknown) => {
    if (!options.store) await store.close();
    throw err;
  });
  const tokens = new Tokens(secret);

  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    bodyLimit: 64 * 1024,
    // Forwarded headers only from the proxies the operator named (TANDEM_TRUST_PROXY).
    trustProxy: compileTrust(config.trustProxy),
    // A field the schema does not know is refused (400 naming it), not dropped: a misspelt
    // setting must not answer 200 having changed nothing.
    ajv: { customOptions: { removeAdditional: false } },
    // What fastify refuses before any route runs is answered as a problem too.
    frameworkErrors: (err, req, res) => {
      const reply = res as FastifyReply;
      const instance = instanceOf(req.url);
      // An id longer than any the server gives names nothing here.
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') void sendProblem(reply, problem('TDM_NOT_FOUND', undefined, { instance }));
      else void sendProblem(reply, problem('TDM_BAD_MESSAGE', 'The address is not valid.', { instance }));
    },
    clientErrorHandler: answerClientError,
  });
  const report = (err: unknown) => app.log.error(err);
  // REDIS_URL: the registry and the bus are the cluster's, in Redis; any node serves any client.
  // This node's clients are sent to reconnect if the others ever take it for dead (see redis-registry.ts).
  let reconnectEveryone = () => {};
  const live =
    config.redisUrl && !options.registry && !options.bus
      ? await openRedisLive({ url: config.redisUrl, prefix: config.redisPrefix, report, onTakenForDead: () => reconnectEveryone() })
      : null;
  const bus = options.bus ?? live?.bus ?? new MemoryBus();
  // The embedded registry writes its sessions to the store as they change: after a restart on the
  // same data directory (a crash too) they are back, and their clients resume them.
  const registry = options.registry ?? live?.registry ?? new MemoryRegistry(store);
  if (registry instanceof MemoryRegistry) {
    const restored = await registry.restore(config.resumeGraceMs);
    if (restored.length > 0) print(`Resumed ${restored.length} live session(s): their visitors and agents can come back.`);
  }
  const events = new SessionEvents(bus, registry, report);
  writeMetadata(events, store, registry);
  // Follows the events before any session can start; pending deliveries of an earlier run go out again.
  const webhooks = new Webhooks({
    store: store.webhooks,
    config: config.webhooks,
    events,
    box: new SecretBox(secret, 'webhook secrets'),
    report,
  });
  webhooks.start();
  writeAuditTrail(events, store);
  // Sessions the store has open but no registry knows: the process that held them died (a crash, SIGKILL).
  const dangling = await store.endDangling(new Date().toISOString(), 'server', async (id) => (await registry.getSession(id)) !== null);
  if (dangling > 0) print(`Ended ${dangling} session(s) left open by a previous run that stopped without shutting down.`);
  const origins = new OriginPolicy(config.allowedOrigins);
  const sites = new Sites(store, bus, config.siteKeys, new SecretBox(secret, 'site identity secrets'));
  await sites.start();
  const isAdmin = async (agentId: string) => {
    const agent = await store.findAgentById(agentId);
    return agent?.role === 'admin' && !agent.disabledAt;
  };
  const rooms = new Rooms({ bus, registry, events, sites, graceMs: config.resumeGraceMs, isAdmin, report });
  await rooms.start();
  // Sign-in counters live in the registry, so every node of a cluster counts the same guesses.
  const loginThrottle = new LoginThrottle((limit) => registry.rateLimiter(limit));
  const shortIds = new ShortIds(secret);
  const context: Context = { config, store, bus, tokens, registry, rooms, events, origins, sites, loginThrottle, shortIds };
  // Every error, from a route or from fastify, is answered as a problem (http-errors.ts).
  app.setErrorHandler((err, req, reply) => {
    const { body, internal } = problemFor(err, instanceOf(req.url));
    if (internal) app.log.error(err);
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, problem('TDM_NOT_FOUND', undefined, { instance: instanceOf(req.url) })));
  // Before any route: each route's auth and errors go into the OpenAPI document (routes/openapi.ts).
  const routes = documentRoutes(app);

  securityHeaders(app);
  app.addHook('preHandler', async (req) => refuseInfiniteQuery(req.query));
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    // Shared schemas keep their $id as their name: #/components/schemas/Problem.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      info: { title: 'Tandem REST API', version: `1 (protocol ${PROTOCOL_VERSION})` },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from `npx tandem key create`' },
          agentCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'tandem_agent',
            description:
              'The console’s sign-in; where no cookie reaches (a framed page), the same token as `Authorization: Bearer` (login with `token: true`)',
          },
          watchGrant: { type: 'http', scheme: 'bearer', description: 'The grant `POST /api/v1/watch/redeem` gave for a watch URL' },
        },
      },
    },
  });

  await app.register(async (scope) => visitorRoutes(scope, context));
  await app.register(async (scope) => authRoutes(scope, context));
  await app.register(async (scope) => agentRoutes(scope, context));
  await app.register(async (scope) => sessionRoutes(scope, context));
  await app.register(async (scope) => siteRoutes(scope, context));
  await app.register(async (scope) => presenceRoutes(scope, context));
  await app.register(async (scope) => watchRoutes(scope, context));
  await app.register(async (scope) => keyRoutes(scope, context));
  await app.register(async (scope) => webhookRoutes(scope, context, webhooks));
  await app.register(async (scope) => auditRoutes(scope, context));
  await app.register(contractRoutes);
  await app.register(apiDocsRoutes);
  let draining = false;
  await app.register(async (scope) =>
    pageRoutes(
      scope,
      () => sites.desktopOrigins(config.agentDesktopOrigins),
      () => draining,
    ),
  );

  const gateways = createGateways({
    tokens,
    registry,
    rooms,
    bus,
    origins,
    sites,
    shortIds,
    pingIntervalMs: config.pingIntervalMs,
    agentSignedIn: async (agentId, signIn) => {
      const [record, agent] = await Promise.all([store.findSignIn(signIn), store.findAgentById(agentId)]);
      return !!record && !record.revokedAt && record.agentId === agentId && !!agent && !agent.disabledAt;
    },
    trustProxy: config.trustProxy,
    store,
    events,
    report,
  });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => gateways.handleUpgrade(req, socket, head));
  reconnectEveryone = () => {
    app.log.error('The other nodes took this one for dead (it could not reach Redis for a while): its clients reconnect to be counted again.');
    gateways.reconnectEveryone();
  };

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
    routes,
    async close() {
      // From now on the health check fails and new sockets are refused: clients told to reconnect go to another node.
      draining = true;
      gateways.drain();
      clearInterval(purge);
      rooms.stop();
      // Sessions outlive this process (in the journal, or a registry other nodes share): clients are
      // told to reconnect (4012) and resume, here after a restart or on another node. A session whose
      // visitor does not come back within the grace ends then.
      await gateways.close(closeCodes.restart, 'server restarting');
      await rooms.drain(2000);
      if (!options.registry) await registry.close();
      // Requests in flight may finish; a client that holds a connection without reading cannot hold the shutdown.
      const force = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      await app.close();
      clearTimeout(force);
      await webhooks.stop();
      await bus.close();
      await live?.disconnect();
      await store.close();
    },
  };
}

/**
 * A request Node could not even parse (headers over its limit, garbage):
 * answered on the socket as a problem, then closed.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return void socket.destroy();
  const code: ErrorCode = err.code === 'HPE_HEADER_OVERFLOW' ? 'TDM_HEADERS_TOO_LARGE' : 'TDM_BAD_MESSAGE';
  const body = JSON.stringify(problem(code));
  const status = errors[code].status;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
