import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, openSqliteStore, startServer, type Store, type TandemServer } from '@tandem/server';
import { MemoryBus } from '../../packages/server/src/bus/memory.js';
import { MemoryRegistry } from '../../packages/server/src/live/memory-registry.js';

export const ADMIN = { email: 'agent@example.test', password: 'correct horse battery', name: 'Admin' };

export interface TestServer extends TandemServer {
  dataDir: string;
  stop(): Promise<void>;
}

/** The environment of a test server: a free port of 127.0.0.1, this data directory, the test admin. */
export function serverEnv(dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    TANDEM_DATA_DIR: dataDir,
    TANDEM_ADMIN_EMAIL: ADMIN.email,
    TANDEM_ADMIN_PASSWORD: ADMIN.password,
    TANDEM_LOG_LEVEL: 'warn',
    ...env,
  };
}

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
  store: Store;
  stop(): Promise<void>;
}

/**
 * Two (or more) server nodes in this process sharing one store, one bus and one registry, as a
 * cluster shares PostgreSQL and Redis: a client may be on any node.
 */
export async function startCluster(count = 2, env: Record<string, string> = {}): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-cluster-'));
  const store = await openSqliteStore(dataDir);
  const bus = new MemoryBus();
  const registry = new MemoryRegistry();
  const config = loadConfig(serverEnv(dataDir, env));
  const nodes: TandemServer[] = [];
  for (let i = 0; i < count; i++) nodes.push(await startServer(config, { store, bus, registry, logger: false, print: () => {} }));
  return {
    nodes,
    store,
    async stop() {
      for (const node of nodes) await node.close();
      await registry.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
