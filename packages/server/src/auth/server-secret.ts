/**
 * The server secret signs agents' cookies and tickets and, through a derived
 * key, seals the sites' identity secrets. Whoever holds it can mint an admin,
 * so it never lives in the database: it comes from TANDEM_SECRET, or from
 * `<dataDir>/secret.key`, created 0600 by the first start.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Store } from '../store/store.js';

const MIN_BYTES = 32;
/** Where releases before 0.2 kept it; replaced by a new secret in the file on the first start, and deleted. */
const LEGACY_SETTING = 'signing_secret';

export async function loadServerSecret(dataDir: string, store: Store, fromEnv?: string): Promise<Buffer> {
  const legacy = await store.getSetting(LEGACY_SETTING);
  if (fromEnv !== undefined) {
    const secret = decode(fromEnv, 'TANDEM_SECRET');
    // The operator chose a secret: the old one must not stay readable.
    if (legacy !== undefined) await store.deleteSetting(LEGACY_SETTING);
    return secret;
  }
  const file = join(dataDir, 'secret.key');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Never the old one: it sat in a readable file, and whoever copied that file (a backup) could mint
  // an admin with it for ever. Agents signed in before the upgrade sign in once more.
  const fresh = randomBytes(MIN_BYTES);
  try {
    // Exclusive: two nodes starting at once on one data directory agree on the first one written.
    writeFileSync(file, fresh.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const secret = decode(readFileSync(file, 'utf8'), file);
  // Deleted only once the file holds it: a crash in between loses nothing.
  if (legacy !== undefined) await store.deleteSetting(LEGACY_SETTING);
  return secret;
}

function decode(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed) || bytes.length < MIN_BYTES) {
    throw new Error(
      `${where} must be at least ${MIN_BYTES} bytes, base64url-encoded (such as: openssl rand -base64 32 | tr '+/' '-_' | tr -d '=').`,
    );
  }
  return bytes;
}
