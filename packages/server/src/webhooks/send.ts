/**
 * One attempt at a delivery: a signed POST, bounded in time and in what it
 * reads back. Only the status line decides (2xx: delivered); redirects are
 * not followed (an endpoint that moved is changed by its owner, and a
 * redirect would be a way around the address guard).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WEBHOOK_HEADERS } from '@tandem/protocol/schema';
import { PrivateAddressError, checkLiteral, guardedLookup, refuseUrl } from './address-guard.js';
import type { WebhookConfig } from './config.js';

/** What is read of an answer at most: the status is all that counts. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'Tandem-Webhooks/1';

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the key being the whole `whsec_…` secret. */
export function signatureHeader(secret: string, body: string, atMs: number): string {
  const t = Math.floor(atMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export interface Attempt {
  url: string;
  body: string;
  secret: string;
  deliveryId: string;
  type: string;
}

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

export function postDelivery(a: Attempt, config: WebhookConfig, signal: AbortSignal): Promise<AttemptResult> {
  // The configuration may have changed since the endpoint was saved (a host no longer allowed plain http).
  const refused = refuseUrl(a.url, config);
  if (refused) return Promise.resolve({ ok: false, statusCode: null, error: `Not sent: ${refused}` });
  const url = new URL(a.url);
  const literal = checkLiteral(url, config);
  if (literal) return Promise.resolve({ ok: false, statusCode: null, error: `Not sent: ${literal.message}` });

  if (signal.aborted) return Promise.resolve(stopped());
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(result);
    };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'POST',
      // A fresh connection each time: its address goes through the guard, never a pooled socket's.
      agent: false,
      lookup: guardedLookup(config),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(a.body),
        'user-agent': USER_AGENT,
        [WEBHOOK_HEADERS.signature]: signatureHeader(a.secret, a.body, Date.now()),
        [WEBHOOK_HEADERS.id]: a.deliveryId,
        [WEBHOOK_HEADERS.event]: a.type,
      },
    });
    const timer = setTimeout(() => finish({ ok: false, statusCode: null, error: `No answer within ${config.timeoutMs} ms.` }), config.timeoutMs);
    const onAbort = () => finish(stopped());
    signal.addEventListener('abort', onAbort);
    req.on('error', (err: Error & { code?: string }) => finish({ ok: false, statusCode: null, error: describe(err) }));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const result: AttemptResult =
        status >= 200 && status < 300
          ? { ok: true, statusCode: status, error: null }
          : { ok: false, statusCode: status, error: `HTTP ${status}` };
      // The answer is read (and dropped) up to the cap, so a slow or endless one cannot hold the worker.
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) finish(result);
      });
      res.on('end', () => finish(result));
      res.on('error', () => finish(result));
    });
    req.end(a.body);
  });
}

const stopped = (): AttemptResult => ({ ok: false, statusCode: null, error: 'Stopped: the server is shutting down.' });

/**
 * What the delivery record says went wrong: the error's code, or our own sentence. Never the
 * system's message, which names the addresses a name resolved to or was connected to: a site's
 * key could otherwise read the server's internal network back from its deliveries.
 */
function describe(err: Error & { code?: string }): string {
  if (err instanceof PrivateAddressError) return err.message.slice(0, 300);
  if (err.code && /^E[A-Z_]+$/.test(err.code)) return `${err.code}: the connection failed.`;
  return (err.code ?? 'The request failed.').slice(0, 300);
}
