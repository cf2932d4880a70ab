/** The CLI against PostgreSQL (DATABASE_URL), as an operator of a cluster would run it. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, openStore, startServer } from '@tandem/server';
import { freshPgSchema, postgresUp, type PgSchema } from '../helpers/services.js';
import { childEnv, serverEnv } from '../helpers/server.js';

const run = promisify(execFile);
const BIN = 'packages/cli/bin/tandem.js';
const up = await postgresUp();
const dataDir = mkdtempSync(join(tmpdir(), 'tandem-cli-pg-'));
let schema: PgSchema | undefined;

afterAll(async () => {
  await schema?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!up)('tandem CLI on PostgreSQL', () => {
  it('site create writes to the database; secret replace lets the next start record a new secret', async () => {
    schema = await freshPgSchema();
    const env = childEnv({ TANDEM_DATA_DIR: dataDir, DATABASE_URL: schema.url, TANDEM_LOG_LEVEL: 'warn' });
    expect((await run(process.execPath, [BIN, 'site', 'create', '--key', 'shop'], { env })).stdout).toContain('Created site shop');
    const store = await openStore({ dataDir, databaseUrl: schema.url });
    try {
      expect((await store.listSites()).map((s) => s.key)).toEqual(['demo', 'shop']);
    } finally {
      await store.close();
    }

    const config = (secret: string) => loadConfig(serverEnv(dataDir, { DATABASE_URL: schema!.url, TANDEM_SECRET: secret }));
    const server = await startServer(config(randomBytes(32).toString('base64url')), { logger: false, print: () => {} });
    await server.close();
    const other = config(randomBytes(32).toString('base64url'));
    await expect(startServer(other, { logger: false, print: () => {} })).rejects.toThrow(/same TANDEM_SECRET/);
    expect((await run(process.execPath, [BIN, 'secret', 'replace'], { env })).stdout).toContain('forgot its server secret');
    const replaced = await startServer(other, { logger: false, print: () => {} });
    await replaced.close();
  });
});
