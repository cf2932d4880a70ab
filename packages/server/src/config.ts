/** Server settings, read once from the environment. */
import { resolve } from 'node:path';
import { parseTrustProxy, type TrustProxy } from './net/client-address.js';
import { loadWebhookConfig, type WebhookConfig } from './webhooks/config.js';

export interface ServerConfig {
  port: number;
  host: string;
  /** Where the SQLite file and the server's secret live. */
  dataDir: string;
  /** Origins (besides the server's own) whose pages may start sessions. */
  allowedOrigins: string[];
  /** Agent desktops (origins) that may frame the watch page, besides those each site's settings allow. */
  agentDesktopOrigins: string[];
  /** The address integrators' agents reach the server at (watch URLs); else the request's own. */
  publicUrl?: string;
  /** How long a watch URL opens the session (it opens it once in any case). */
  watchLinkTtlMs: number;
  /** Site keys accepted from the visitor SDK. */
  siteKeys: string[];
  adminEmail?: string;
  adminPassword?: string;
  /** How long a visitor that navigated away has to come back. */
  resumeGraceMs: number;
  /** How many days session metadata is kept. */
  retentionDays: number;
  /** How often sockets are pinged; a peer that misses a ping is dropped at the next one. */
  pingIntervalMs: number;
  logLevel: string;
  /** Which peers' X-Forwarded-For is believed: none, a hop count, or addresses/CIDRs. */
  trustProxy: TrustProxy;
  /** The server secret from TANDEM_SECRET (base64url), else it lives in `<dataDir>/secret.key`. */
  secret?: string;
  /** Webhook delivery: retries, timeouts, which addresses may be reached. */
  webhooks: WebhookConfig;
  /** REDIS_URL: the live registry and the bus in Redis, shared by every node of a cluster; else in this process. */
  redisUrl?: string;
  /** TANDEM_REDIS_PREFIX: before every key and channel in Redis, so several installs (or test runs) can share one. */
  redisPrefix: string;
  /** DATABASE_URL: the store in PostgreSQL, shared by every node of a cluster; else the SQLite file under the data directory. */
  databaseUrl?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const retentionDays = Number(env.TANDEM_RETENTION_DAYS ?? 90);
  const webhooks = loadWebhookConfig(env);
  return {
    port: Number(env.PORT ?? 8080),
    host: env.HOST ?? '0.0.0.0',
    dataDir: resolve(env.TANDEM_DATA_DIR ?? './data'),
    allowedOrigins: list(env.TANDEM_ALLOWED_ORIGINS),
    agentDesktopOrigins: list(env.TANDEM_AGENT_DESKTOP_ORIGINS).map((o) => new URL(o).origin),
    publicUrl: env.TANDEM_PUBLIC_URL ? new URL(env.TANDEM_PUBLIC_URL).origin : undefined,
    watchLinkTtlMs: Number(env.TANDEM_WATCH_LINK_TTL_S ?? 300) * 1000,
    siteKeys: list(env.TANDEM_SITE_KEYS ?? 'demo'),
    adminEmail: env.TANDEM_ADMIN_EMAIL,
    adminPassword: env.TANDEM_ADMIN_PASSWORD,
    resumeGraceMs: Number(env.TANDEM_RESUME_GRACE_MS ?? 30_000),
    retentionDays,
    pingIntervalMs: Number(env.TANDEM_PING_MS ?? 15_000),
    logLevel: env.TANDEM_LOG_LEVEL ?? 'info',
    trustProxy: parseTrustProxy(env.TANDEM_TRUST_PROXY),
    secret: env.TANDEM_SECRET || undefined,
    // A delivery holds a session's metadata (a visitor's name): kept no longer than the session.
    webhooks: { ...webhooks, retentionDays: Math.min(webhooks.retentionDays, retentionDays) },
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.TANDEM_REDIS_PREFIX || 'tandem:',
    databaseUrl: env.DATABASE_URL || undefined,
  };
}
