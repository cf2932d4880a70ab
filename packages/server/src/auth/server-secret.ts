/**
 * The server secret signs agents' cookies and tickets and, through a derived
 * key, seals the sites' identity secrets. Whoever holds it can mint an admin,
 * so it never lives in the database: it comes from TANDEM_SECRET, or from
 * `<dataDir>/secret.key`, created 0600 by the first start. The database keeps
 * only its fingerprint, so that nodes sharing one agree on it.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { Store } from '../store/store.js';

const MIN_BYTES = 32;
/** Where releases before 0.2 kept it; replaced by a new secret in the file on the first start, and deleted. */
const LEGACY_SETTING = 'signing_secret';
/** The fingerprint of the secret the database was first started with. */
const FINGERPRINT_SETTING = 'server_secret_fingerprint';

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

/**
 * Every node sharing a database must have one secret: a node with another would refuse the
 * others' cookies and tickets, and could not open the webhook and identity secrets they sealed.
 * The first start records a fingerprint (an HMAC of a fixed label under the secret: it tells
 * nothing about the secret, and cannot be turned into a cookie); a node whose secret gives
 * another fingerprint refuses to start. Called under the store's startup lock, so the first
 * nodes of a cluster, starting together, record one.
 */
export async function agreeOnSecret(store: Store, secret: Buffer, from: string): Promise<void> {
  const mine = fingerprint(secret);
  const recorded = await store.getSetting(FINGERPRINT_SETTING);
  if (recorded === undefined) return store.setSetting(FINGERPRINT_SETTING, mine);
  if (recorded.length === mine.length && timingSafeEqual(Buffer.from(recorded), Buffer.from(mine))) return;
  throw new Error(
    `The server secret (from ${from}) is not the one this database was first started with. Every node sharing a database ` +
      'must have the same TANDEM_SECRET: give this node the secret the others have. To replace the secret on purpose, stop ' +
      'every node, run `npx tandem secret replace`, then start them all with the new one (agents sign in again; webhook and ' +
      'site identity secrets must be set anew).',
  );
}

/** Forgets the recorded fingerprint: the next start records its own secret's (`tandem secret replace`). */
export async function forgetSecretFingerprint(store: Store): Promise<boolean> {
  const had = (await store.getSetting(FINGERPRINT_SETTING)) !== undefined;
  await store.deleteSetting(FINGERPRINT_SETTING);
  return had;
}

function fingerprint(secret: Buffer): string {
  return 'v1:' + createHmac('sha256', secret).update('tandem server secret fingerprint').digest('hex');
}
