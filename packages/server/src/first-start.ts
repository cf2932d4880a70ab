/**
 * What every start does before it serves, under the store's startup lock
 * (store.exclusively): nodes starting together on an empty database agree on
 * one server secret, create one admin and one set of sites.
 */
import { join } from 'node:path';
import type { ServerConfig } from './config.js';
import type { Store } from './store/store.js';
import { agreeOnSecret, loadServerSecret } from './auth/server-secret.js';
import { ensureAdmin } from './auth/agents.js';
import { ensureSites } from './sites.js';

/** Returns the server secret, once the store has agreed to it. */
export function firstStart(
  store: Store,
  config: Pick<ServerConfig, 'dataDir' | 'secret' | 'adminEmail' | 'adminPassword' | 'siteKeys'>,
  print: (line: string) => void,
): Promise<Buffer> {
  return store.exclusively(async () => {
    const secret = await loadServerSecret(config.dataDir, store, config.secret);
    await agreeOnSecret(store, secret, config.secret !== undefined ? 'TANDEM_SECRET' : join(config.dataDir, 'secret.key'));
    await ensureAdmin(store, config.adminEmail, config.adminPassword, print);
    await ensureSites(store, config.siteKeys);
    return secret;
  });
}
