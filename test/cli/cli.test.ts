/** The CLI against a real data directory, as an operator would run it. */
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv } from '../helpers/server.js';

const run = promisify(execFile);
const BIN = 'packages/cli/bin/tandem.js';
const dataDir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
const env = childEnv({ TANDEM_DATA_DIR: dataDir, TANDEM_LOG_LEVEL: 'warn' });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('tandem CLI', () => {
  it('start prints a one-time admin password on an empty database, serves, and agents and keys work against its data dir', async () => {
    const child = spawn(process.execPath, [BIN, 'start'], { env: { ...env, PORT: '0', HOST: '127.0.0.1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      // A generous limit: tsx compiles the server on start, slow on a loaded 2-core machine.
      await expect.poll(() => out, { timeout: 90_000 }).toMatch(/Agent console:\s+(\S+)/);
      const password = /with the password (\S+)/.exec(out)![1]!;
      const base = /Agent console:\s+(http:\/\/[^/]+)/.exec(out)![1]!;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@localhost', password }),
      });
      expect(login.status).toBe(200);

      const created = await run(
        process.execPath,
        [BIN, 'agent', 'create', '--email', 'Sam@Example.test', '--password', 'long enough pw', '--name', 'Sam'],
        { env },
      );
      expect(created.stdout).toContain('Created agent sam@example.test');
      const sam = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'sam@example.test', password: 'long enough pw' }),
      });
      expect(await sam.json()).toMatchObject({ name: 'Sam', role: 'agent' });

      await expect(run(process.execPath, [BIN, 'key', 'create', '--name', 'crm'], { env })).rejects.toThrow(/--site.*--admin/);
      await expect(run(process.execPath, [BIN, 'key', 'create', '--site', 'nope'], { env })).rejects.toThrow(/No site has the key nope/);
      const key = (await run(process.execPath, [BIN, 'key', 'create', '--name', 'crm', '--site', 'demo'], { env })).stdout.trim();
      expect(key).toMatch(/^tdm_[\w-]{20,}$/);
      const listed = await fetch(`${base}/api/v1/sessions`, { headers: { authorization: `Bearer ${key}` } });
      expect(listed.status).toBe(200);
      const refused = await fetch(`${base}/api/v1/sessions`, { headers: { authorization: 'Bearer tdm_wrong' } });
      expect(await refused.json()).toMatchObject({ code: 'TDM_UNAUTHORIZED' });

      await expect(run(process.execPath, [BIN, 'agent', 'create', '--email', 'x@y.z', '--password', 'short'], { env })).rejects.toThrow(
        /at least 8/,
      );

      // A site added while the server runs is served, and its key sees that site only.
      expect((await run(process.execPath, [BIN, 'site', 'create', '--key', 'shop', '--name', 'Shop'], { env })).stdout).toContain(
        'Created site shop',
      );
      await expect(run(process.execPath, [BIN, 'site', 'create', '--key', 'shop'], { env })).rejects.toThrow(/already exists/);
      const shopKey = (await run(process.execPath, [BIN, 'key', 'create', '--site', 'shop'], { env })).stdout.trim();
      const sites = await fetch(`${base}/api/v1/sites`, { headers: { authorization: `Bearer ${shopKey}` } });
      expect((await sites.json()).sites).toEqual([{ key: 'shop', name: 'Shop' }]);
      const adminKey = (await run(process.execPath, [BIN, 'key', 'create', '--admin'], { env })).stdout.trim();
      const all = await fetch(`${base}/api/v1/sites`, { headers: { authorization: `Bearer ${adminKey}` } });
      expect((await all.json()).sites.map((s: any) => s.key)).toEqual(['demo', 'shop']);

      // Disabling an agent signs them out at once.
      const samCookie = sam.headers
        .getSetCookie()
        .find((c) => c.startsWith('tandem_agent='))!
        .split(';')[0]!;
      expect((await fetch(`${base}/api/v1/auth/me`, { headers: { cookie: samCookie } })).status).toBe(200);
      expect((await run(process.execPath, [BIN, 'agent', 'disable', '--email', 'SAM@example.test'], { env })).stdout).toContain(
        'Disabled agent sam@example.test',
      );
      expect((await fetch(`${base}/api/v1/auth/me`, { headers: { cookie: samCookie } })).status).toBe(401);
      await expect(run(process.execPath, [BIN, 'agent', 'disable', '--email', 'nobody@example.test'], { env })).rejects.toThrow(/No agent/);
    } finally {
      child.kill('SIGTERM');
    }
    await new Promise((r) => child.once('exit', r));
    // Each CLI run starts Node and tsx: about ten of them.
  }, 180_000);

  it('the OpenAPI document describes the REST API', async () => {
    const { startTestServer } = await import('../helpers/server.js');
    const server = await startTestServer();
    try {
      const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/visitor/sessions',
          '/api/v1/sessions/join',
          '/api/v1/sessions',
          '/api/v1/sessions/{id}',
          '/api/v1/auth/login',
        ]),
      );
    } finally {
      await server.stop();
    }
  });
});
