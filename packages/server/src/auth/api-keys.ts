/**
 * API keys for the REST API. Only a SHA-256 of the key is stored: a key is long
 * and random, so a slow hash buys nothing and would cost every request.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';

const PREFIX = 'tdm_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a key and returns it: the only time it is ever shown. */
export async function createApiKey(store: Store, name: string): Promise<string> {
  const key = PREFIX + randomBytes(24).toString('base64url');
  await store.createApiKey({ id: randomUUID(), name, hash: hashApiKey(key), createdAt: new Date().toISOString() });
  return key;
}

export async function verifyApiKey(store: Store, key: string): Promise<boolean> {
  if (!key.startsWith(PREFIX) || key.length > 100) return false;
  return (await store.findApiKeyByHash(hashApiKey(key))) !== undefined;
}
