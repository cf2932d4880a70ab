/**
 * The two ways Tandem runs, for tests that must hold on both: one node (the embedded default: memory
 * bus and registry, SQLite) and two nodes on the cluster's real parts (Redis and PostgreSQL), with the visitor on one node and the agent on the other, as a load balancer
 * without sticky sessions may place them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '@tandem/server';
import type { Registry } from '../../packages/server/src/live/registry.js';
import { connectRedis } from '../../packages/server/src/redis/client.js';
import { startCluster, startTestServer } from './server.js';
import { postgresUp, redisUp, schemaText } from './services.js';

export interface Deployment {
  label: string;
  /** Where the visitor's pages (and their SDK) connect. */
  visitorUrl: string;
  /** Where the agent's console and watch page connect. */
  agentUrl: string;
  registry: Registry;
  store: Store;
  /** Everything the deployment keeps at rest, as text: every file of its data directories, every value in Redis, every row in PostgreSQL. */
  atRest(): Promise<string>;
  stop(): Promise<void>;
}

const filesIn = (dirs: string[]) =>
  dirs.flatMap((dir) => readdirSync(dir).map((file) => readFileSync(join(dir, file)).toString('latin1'))).join('\n');

export async function oneNode(env: Record<string, string> = {}): Promise<Deployment> {
  const server = await startTestServer(env);
  return {
    label: 'one node (memory bus, SQLite)',
    visitorUrl: server.url,
    agentUrl: server.url,
    registry: server.context.registry,
    store: server.context.store,
    atRest: async () => filesIn([server.dataDir]),
    stop: () => server.stop(),
  };
}

export async function twoNodes(env: Record<string, string> = {}): Promise<Deployment> {
  const cluster = await startCluster(2, env, { redis: true, postgres: true });
  const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
  const { redisUrl, redisPrefix } = a.context.config;
  return {
    label: 'two nodes (Redis, PostgreSQL), the visitor on one and the agent on the other',
    visitorUrl: a.url,
    agentUrl: b.url,
    registry: b.context.registry,
    store: cluster.store,
    async atRest() {
      const redis = await connectRedis({ url: redisUrl!, name: 'tandem-test-at-rest', report: () => {} });
      const values: string[] = [];
      for await (const keys of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 500 })) {
        for (const key of keys) values.push(key, JSON.stringify(await readKey(redis, key)));
      }
      await redis.quit();
      return `${filesIn(cluster.dataDirs)}\n${values.join('\n')}\n${await schemaText(a.context.config.databaseUrl!)}`;
    },
    stop: () => cluster.stop(),
  };
}

/** A key's value whatever its type (the registry keeps strings, sets and sorted sets). */
async function readKey(redis: Awaited<ReturnType<typeof connectRedis>>, key: string): Promise<unknown> {
  const type = await redis.type(key);
  if (type === 'string') return redis.get(key);
  if (type === 'set') return redis.sMembers(key);
  if (type === 'zset') return redis.zRange(key, 0, -1);
  if (type === 'hash') return redis.hGetAll(key);
  if (type === 'list') return redis.lRange(key, 0, -1);
  return type;
}

/** Both deployments, the cluster one only where Redis and PostgreSQL answer (with CI=true they must). */
export async function deployments(): Promise<{ label: string; start: (env?: Record<string, string>) => Promise<Deployment> }[]> {
  const list = [{ label: 'one node', start: oneNode }];
  if ((await redisUp()) && (await postgresUp())) list.push({ label: 'two nodes', start: twoNodes });
  return list;
}
