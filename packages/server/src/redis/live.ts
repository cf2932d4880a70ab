/**
 * A node's live state in Redis (REDIS_URL): the registry and the bus, on two connections (Redis
 * reserves a connection that subscribes for its subscriptions). Each repairs itself when its
 * connection comes back from an outage.
 */
import { randomUUID } from 'node:crypto';
import { RedisBus } from '../bus/redis.js';
import { RedisRegistry } from '../live/redis-registry.js';
import { connectRedis } from './client.js';

export interface RedisLive {
  registry: RedisRegistry;
  bus: RedisBus;
  /** Closes both connections; call after the registry and the bus were closed. */
  disconnect(): Promise<void>;
}

export async function openRedisLive(options: {
  url: string;
  prefix: string;
  report: (err: unknown) => void;
  /** See RedisRegistryOptions.onTakenForDead. */
  onTakenForDead: () => void;
}): Promise<RedisLive> {
  const { url, prefix, report } = options;
  const late: { registry?: RedisRegistry; bus?: RedisBus } = {};
  // Named after the node in Redis's CLIENT LIST, so an operator (or a test) can tell whose connection is whose.
  const node = randomUUID();
  const commands = await connectRedis({ url, name: `tandem-${node}`, report, onReconnect: () => late.registry?.reconnected() });
  const subscriber = await connectRedis({ url, name: `tandem-bus-${node}`, report, onReconnect: () => late.bus?.reconnected() });
  const registry = (late.registry = new RedisRegistry(commands, { prefix, node, report, onTakenForDead: options.onTakenForDead }));
  await registry.start();
  const bus = (late.bus = new RedisBus(commands, subscriber, prefix, report));
  return {
    registry,
    bus,
    async disconnect() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
    },
  };
}
