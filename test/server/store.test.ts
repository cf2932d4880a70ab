/**
 * What is at rest: the server's secret outside the database (a 0600 file or
 * TANDEM_SECRET), the database file itself 0600, per-site identity secrets
 * encrypted, a database that cannot be used refused with a clear error, and the
 * sessions list naming each session’s agents once. What does not depend on the
 * SQLite file runs on PostgreSQL too (test/helpers/stores.ts).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SignJWT, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '@tandem/server';
import { ADMIN, startTestServer, type TestServer } from '../helpers/server.js';
import { agentCookie, api } from '../helpers/http.js';
import { storeBackends } from '../helpers/stores.js';

const backends = await storeBackends();

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tandem-store-'));
  dirs.push(d);
  return d;
};
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await backends.drop();
});
async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(env);
  servers.push(s);
  return s;
}
const mode = (path: string) => statSync(path).mode & 0o777;
const settingsRows = (dataDir: string) => {
  const db = new Database(join(dataDir, 'tandem.sqlite'), { readonly: true });
  try {
    return db.prepare('select key, value from settings').all() as { key: string; value: string }[];
  } finally {
    db.close();
  }
};

describe('the server secret', () => {
  it('lives in a 0600 file beside a 0600 database, never in the database', async () => {
    const s = await server();
    const file = join(s.dataDir, 'secret.key');
    expect(existsSync(file)).toBe(true);
    expect(mode(file)).toBe(0o600);
    expect(mode(join(s.dataDir, 'tandem.sqlite'))).toBe(0o600);
    expect(settingsRows(s.dataDir).map((r) => r.key)).not.toContain('signing_secret');
  });

  it('an old secret in the database is replaced by a new one in the file and deleted: a cookie it signs (from a backup) is refused', async () => {
    const dataDir = tempDir();
    const store = await openSqliteStore(dataDir);
    const old = randomBytes(32).toString('base64url');
    await store.setSetting('signing_secret', old);
    await store.close();
    chmodSync(join(dataDir, 'tandem.sqlite'), 0o644);

    const s = await server({ TANDEM_DATA_DIR: dataDir });
    expect(readFileSync(join(dataDir, 'secret.key'), 'utf8').trim()).not.toBe(old);
    expect(settingsRows(dataDir).map((r) => r.key)).not.toContain('signing_secret');
    expect(mode(join(dataDir, 'tandem.sqlite'))).toBe(0o600);

    // Minted with the old secret (a copy of the database is enough): it opens nothing, now or later.
    const admin = (await s.context.store.findAgentByEmail(ADMIN.email))!;
    const legacy = await new SignJWT({ typ: 'agent', agentId: admin.id, name: admin.name, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('12h')
      .sign(Buffer.from(old, 'base64url'));
    const me = await api(s.url, '/api/v1/auth/me', { auth: `tandem_agent=${legacy}` });
    expect(me.status).toBe(401);
    const withJti = await new SignJWT({ typ: 'agent', agentId: admin.id, jti: 'made-up' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('12h')
      .sign(Buffer.from(old, 'base64url'));
    expect((await api(s.url, '/api/v1/auth/me', { auth: `tandem_agent=${withJti}` })).status).toBe(401);
    // The new secret works as ever.
    expect((await api(s.url, '/api/v1/auth/me', { auth: await agentCookie(s.url, ADMIN.email, ADMIN.password) })).status).toBe(200);
  });

  it('TANDEM_SECRET replaces the file; a short one is refused', async () => {
    await expect(startTestServer({ TANDEM_SECRET: randomBytes(16).toString('base64url') })).rejects.toThrow(/TANDEM_SECRET.*32 bytes/);
    const secret = randomBytes(32);
    const s = await server({ TANDEM_SECRET: secret.toString('base64url') });
    expect(existsSync(join(s.dataDir, 'secret.key'))).toBe(false);
    const cookie = await agentCookie(s.url, ADMIN.email, ADMIN.password);
    const { payload } = await jwtVerify(cookie.slice(cookie.indexOf('=') + 1), secret);
    expect(payload.typ).toBe('agent');
  });

  it('site identity secrets are encrypted at rest, and old plain ones are sealed on first use', async () => {
    const s = await server();
    const admin = await agentCookie(s.url, ADMIN.email, ADMIN.password);
    const { body } = await api(s.url, '/api/v1/sites/demo/identity-secret', { auth: admin, body: {} });
    const row = settingsRows(s.dataDir).find((r) => r.key === 'site-secret:demo')!;
    expect(row.value).not.toContain(body.secret);
    expect(row.value).not.toContain(Buffer.from(body.secret, 'base64url').toString('hex'));

    const { createHmac } = await import('node:crypto');
    const sign = (secret: string, id: string) => createHmac('sha256', secret).update(id).digest('hex');
    expect(await s.context.sites.checkIdentity('demo', { uniqueId: 'cust-1', signature: sign(body.secret, 'cust-1') })).toMatchObject({
      verified: true,
    });

    // A plain secret written by the previous release.
    await s.context.store.setSetting('site-secret:shop', 'plain-old-secret');
    const checked = await s.context.sites.checkIdentity('shop', { uniqueId: 'cust-2', signature: sign('plain-old-secret', 'cust-2') });
    expect(checked.verified).toBe(true);
    expect(settingsRows(s.dataDir).find((r) => r.key === 'site-secret:shop')!.value).not.toContain('plain-old-secret');
  });
});

describe('a database that cannot be used', () => {
  it('an empty file is refused, not taken for a fresh install', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'tandem.sqlite');
    writeFileSync(file, '');
    await expect(openSqliteStore(dataDir)).rejects.toThrow(file);
    await expect(openSqliteStore(dataDir)).rejects.toThrow(/empty/);
    expect(statSync(file).size).toBe(0);
  });

  it('a corrupt file is named, with what to do', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'tandem.sqlite');
    writeFileSync(file, randomBytes(8192));
    await expect(openSqliteStore(dataDir)).rejects.toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(damaged|not a database).*backup`, 's'),
    );
  });

  it('a locked file is named, with what to do', async () => {
    const dataDir = tempDir();
    await (await openSqliteStore(dataDir)).close();
    const holder = new Database(join(dataDir, 'tandem.sqlite'));
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      await expect(openSqliteStore(dataDir)).rejects.toThrow(/tandem\.sqlite.*locked.*(stop|another)/is);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});

describe.each(backends.list)('sessions left open, on $name', (backend) => {
  it('a session the store has open but no registry knows (its process died, no journal) is ended at the next start', async () => {
    const place = await backend.place();
    const store = await place.open();
    const createdAt = new Date(Date.now() - 60_000).toISOString();
    const open = {
      siteKey: 'demo',
      code: '123456',
      visitorName: null,
      visitorEmail: null,
      visitorUniqueId: null,
      startUrl: null,
      createdAt,
      endedAt: null,
      endReason: null,
      maxMode: 'view' as const,
    };
    await store.createSession({ id: 'dangling-1', ...open });
    await store.close();
    const s = await startTestServer(place.env);
    servers.push(s);
    const row = await s.context.store.getSession('dangling-1');
    expect(row).toMatchObject({ endReason: 'server' });
    expect(Date.parse(row!.endedAt!)).toBeGreaterThan(Date.parse(createdAt));
  });
});

describe.each(backends.list)('the sessions list, on $name', (backend) => {
  it('names each session’s agents once (a rejoin is another row), in the order they first joined', async () => {
    const store = await (await backend.place()).open();
    const base = {
      siteKey: 'demo',
      code: '123456',
      visitorName: null,
      visitorEmail: null,
      visitorUniqueId: null,
      startUrl: null,
      endedAt: null,
      endReason: null,
      maxMode: 'view' as const,
    };
    await store.createSession({ id: 's1', ...base, createdAt: '2026-01-01T10:00:00.000Z' });
    await store.createSession({ id: 's2', ...base, createdAt: '2026-01-01T11:00:00.000Z' });
    await store.addSessionAgent('s1', { agentId: 'a1', agentName: 'Sam', joinedAt: '2026-01-01T10:01:00.000Z' });
    await store.addSessionAgent('s1', { agentId: 'a2', agentName: 'Kim', joinedAt: '2026-01-01T10:02:00.000Z' });
    await store.addSessionAgent('s1', { agentId: 'a1', agentName: 'Sam R.', joinedAt: '2026-01-01T10:03:00.000Z' });
    const list = await store.listSessions({ limit: 10 });
    expect(list.map((s) => [s.id, s.agents])).toEqual([
      ['s2', []],
      [
        's1',
        [
          { agentId: 'a1', agentName: 'Sam' },
          { agentId: 'a2', agentName: 'Kim' },
        ],
      ],
    ]);
    // The detail still has every join, with its time.
    expect((await store.getSession('s1'))!.agents).toHaveLength(3);
    await store.close();
  });
});
