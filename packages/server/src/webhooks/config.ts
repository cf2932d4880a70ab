/** Webhook settings, read once from the environment with the rest of the server's (config.ts). */

export interface WebhookConfig {
  /** Deliver to private, loopback and link-local addresses too (TANDEM_WEBHOOK_ALLOW_PRIVATE=1): tests, closed networks. */
  allowPrivate: boolean;
  /** Hosts that may be sent plain http (TANDEM_WEBHOOK_HTTP_HOSTS); every other endpoint must be https. */
  httpHosts: string[];
  /** The first retry's delay; each next one doubles, with jitter. */
  retryBaseMs: number;
  /** Attempts before a delivery is given up (failed). */
  maxAttempts: number;
  /** No retry is scheduled later than this after the delivery was created. */
  maxAgeMs: number;
  /** One attempt's limit, connecting and answering included. */
  timeoutMs: number;
  /** Delivered and failed deliveries are deleted after this many days. */
  retentionDays: number;
}

export function loadWebhookConfig(env: NodeJS.ProcessEnv): WebhookConfig {
  return {
    allowPrivate: env.TANDEM_WEBHOOK_ALLOW_PRIVATE === '1',
    httpHosts: (env.TANDEM_WEBHOOK_HTTP_HOSTS ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
    retryBaseMs: positive(env, 'TANDEM_WEBHOOK_RETRY_BASE_MS', 30_000),
    maxAttempts: positive(env, 'TANDEM_WEBHOOK_MAX_ATTEMPTS', 12),
    maxAgeMs: positive(env, 'TANDEM_WEBHOOK_MAX_AGE_HOURS', 24) * 3_600_000,
    timeoutMs: positive(env, 'TANDEM_WEBHOOK_TIMEOUT_MS', 10_000),
    retentionDays: positive(env, 'TANDEM_WEBHOOK_RETENTION_DAYS', 30),
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (it is "${raw}").`);
  return value;
}
