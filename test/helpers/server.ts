import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, openSqliteStore, openStore, startServer, type Store, type TandemServer } from '@tandem/server';

import { MemoryBus } from '../../packages/server/src/bus/memory.js';
import { MemoryRegistry } from '../../packages/server/src/live/memory-registry.js';
import { connectRedis, deletePrefix } from '../../packages/server/src/redis/client.js';
import { REDIS_URL, freshPgSchema, redisPrefix } from './services.js';

export const ADMIN = { email: 'agent@example.test', password: 'correct horse battery', name: 'Admin' };

export interface TestServer extends TandemServer {
  dataDir: string;
  stop(): Promise<void>;
}

/** The environment of a test server: a free port of 127.0.0.1, this data directory, the test admin. */
export function serverEnv(dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    // Where the test environment names Redis or PostgreSQL, a node uses them only when the test says so.
    REDIS_URL: '',
    DATABASE_URL: '',
    PORT: '0',
    HOST: '127.0.0.1',
    TANDEM_DATA_DIR: dataDir,
    TANDEM_ADMIN_EMAIL: ADMIN.email,
    TANDEM_ADMIN_PASSWORD: ADMIN.password,
    TANDEM_LOG_LEVEL: 'warn',
    ...env,
  };
}

/** The environment of a child process: this one's, without the cluster's services unless `env` names them. */
export const childEnv = (env: Record<string, string>): NodeJS.ProcessEnv => ({ ...process.env, REDIS_URL: '', DATABASE_URL: '', ...env });

/** A real server on a free port of 127.0.0.1, with its own data directory. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-test-'));
  const config = loadConfig(serverEnv(dataDir, env));
  const server = await startServer(config, { print: () => {}, logger: false });
  return {
    ...server,
    dataDir,
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestCluster {
  nodes: TandemServer[];
  /** The store every node writes to (for the test's own reads). */
  store: Store;
  /** Each node's data directory (a cluster on Redis and PostgreSQL keeps nothing in them but the logs' worth). */
  dataDirs: string[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * The cluster's real parts: the registry and the bus in Redis (each node its own connections, a key
   * prefix of the test's own), and, with `postgres`, the store in a PostgreSQL schema of its own, each
   * node with its own data directory and the same TANDEM_SECRET, as separate machines would be. Without
   * them the nodes share one in-memory registry and bus and one SQLite store in this process.
   */
  redis?: boolean;
  postgres?: boolean;
}

/** A client may be on any node of a cluster: two (or more) server nodes in this process. */
export async function startCluster(count = 2, env: Record<string, string> = {}, options: ClusterOptions = {}): Promise<TestCluster> {
  const dataDirs = Array.from({ length: count }, () => mkdtempSync(join(tmpdir(), 'tandem-cluster-')));
  const shared = { ...env };
  const cleanups: (() => Promise<void>)[] = [];
  if (options.redis) {
    const prefix = redisPrefix();
    Object.assign(shared, { REDIS_URL, TANDEM_REDIS_PREFIX: prefix, TANDEM_SECRET: randomBytes(32).toString('base64url') });
    cleanups.push(async () => {
      const redis = await connectRedis({ url: REDIS_URL, name: 'tandem-test-cleanup', report: () => {} });
      await deletePrefix(redis, prefix);
      await redis.quit();
    });
  }
  let store: Store;
  const nodes: TandemServer[] = [];
  const quiet = { logger: false, print: () => {} } as const;
  if (options.postgres) {
    const schema = await freshPgSchema();
    cleanups.push(() => schema.drop());
    shared.DATABASE_URL = schema.url;
    for (const dir of dataDirs) nodes.push(await startServer(loadConfig(serverEnv(dir, shared)), quiet));
    store = await openStore(loadConfig(serverEnv(dataDirs[0]!, shared)));
    cleanups.unshift(() => store.close());
  } else {
    store = await openSqliteStore(dataDirs[0]!);
    const config = loadConfig(serverEnv(dataDirs[0]!, shared));
    const inMemory = options.redis ? {} : { bus: new MemoryBus(), registry: new MemoryRegistry() };
    for (let i = 0; i < count; i++) nodes.push(await startServer(config, { store, ...inMemory, ...quiet }));
    if (inMemory.registry) cleanups.push(() => inMemory.registry.close());
  }
  return {
    nodes,
    store,
    dataDirs,
    async stop() {
      for (const node of nodes) await node.close();
      for (const cleanup of cleanups) await cleanup();
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
