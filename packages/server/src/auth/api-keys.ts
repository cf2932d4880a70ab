/**
 * API keys for the REST API. Only a SHA-256 of the key is stored: a key is long
 * and random, so a slow hash buys nothing and would cost every request.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyRecord, Store } from '../store/store.js';

const PREFIX = 'tdm_';

/** An `Authorization: Bearer` value that is an API key (else it may be an agent's token). */
export const isApiKey = (bearer: string): boolean => bearer.startsWith(PREFIX);

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What a key may reach: one site's sessions and settings, or (explicitly) every site's. */
export type ApiKeyScope = { siteKey: string } | { admin: true };

/** Creates a key and returns it: the only time it is ever shown. */
export async function createApiKey(store: Store, name: string, scope: ApiKeyScope): Promise<string> {
  return (await issueApiKey(store, name, scope)).key;
}

/** Creates a key: its record, and the key itself (shown this once; only its hash is kept). */
export async function issueApiKey(store: Store, name: string, scope: ApiKeyScope): Promise<{ record: ApiKeyRecord; key: string }> {
  const key = PREFIX + randomBytes(24).toString('base64url');
  const siteKey = 'siteKey' in scope ? scope.siteKey : null;
  if (siteKey !== null && !(await store.listSites()).some((s) => s.key === siteKey)) throw new Error(`No site has the key ${siteKey}.`);
  const record: ApiKeyRecord = {
    id: randomUUID(),
    name,
    hash: hashApiKey(key),
    createdAt: new Date().toISOString(),
    siteKey,
    admin: siteKey === null,
    revokedAt: null,
  };
  await store.createApiKey(record);
  return { record, key };
}

export async function verifyApiKey(store: Store, key: string): Promise<ApiKeyRecord | undefined> {
  if (!key.startsWith(PREFIX) || key.length > 100) return undefined;
  const record = await store.findApiKeyByHash(hashApiKey(key));
  // A revoked key is as good as a wrong one.
  return record && !record.revokedAt ? record : undefined;
}
