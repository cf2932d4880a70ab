/**
 * Connections to Redis, for a cluster's registry and bus (REDIS_URL). A connection that drops is
 * retried for ever with a capped backoff (a restarted Redis is found again without restarting the
 * node); while it is down, commands wait in a bounded queue and fail beyond it, so an outage costs
 * latency, then errors the callers answer, never unbounded memory.
 */
import { createClient, type RedisClientType } from 'redis';

export type Redis = RedisClientType;

/** Commands waiting for a connection that dropped, at most; beyond, they fail at once. */
const MAX_QUEUED_COMMANDS = 20_000;

export interface RedisOptions {
  url: string;
  /** Named in errors and in CLIENT LIST. */
  name: string;
  report: (err: unknown) => void;
  /** Called each time the connection is ready again after it dropped. */
  onReconnect?: () => void;
}

export async function connectRedis(options: RedisOptions): Promise<Redis> {
  const client = createClient({
    url: options.url,
    name: options.name,
    commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
    socket: {
      connectTimeout: 5000,
      // 50 ms, 100 ms, … up to a second between tries, for as long as it takes.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 5), 1000),
    },
  }) as Redis;
  // node-redis emits every failed try as an error: reported once per outage, not once per try.
  let down = false;
  client.on('error', (err: unknown) => {
    if (down) return;
    down = true;
    options.report(new Error(`Redis (${options.name}) is not answering: ${err instanceof Error ? err.message : String(err)}`));
  });
  let ready = false;
  client.on('ready', () => {
    down = false;
    if (ready) options.onReconnect?.();
    ready = true;
  });
  await client.connect();
  return client;
}

/**
 * A Lua script run by its SHA once Redis knows it: after a restart Redis has forgotten every
 * script, so NOSCRIPT is answered by sending the script itself once more.
 */
export class Script {
  private sha: string | null = null;

  constructor(private readonly source: string) {}

  async run(client: Redis, keys: string[], args: string[]): Promise<unknown> {
    if (this.sha) {
      try {
        return await client.evalSha(this.sha, { keys, arguments: args });
      } catch (err) {
        if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      }
    }
    this.sha = await client.scriptLoad(this.source);
    return client.evalSha(this.sha, { keys, arguments: args });
  }
}

/** Deletes every key under a prefix (tests, and `tandem` tools that reset an install), a batch at a time. */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.unlink(keys);
  }
}
