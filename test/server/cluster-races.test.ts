/**
 * Two nodes on one PostgreSQL (and Redis) asked to create the same thing at the same moment: each
 * checks it is free, the database takes one. The other is answered 409 as a check would have answered
 * it, never a 500 or the database's own words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TandemServer } from '@tandem/server';
import { startCluster, type TestCluster } from '../helpers/server.js';
import { signIn } from '../helpers/clients.js';
import { api } from '../helpers/http.js';
import { postgresUp, redisUp } from '../helpers/services.js';
import { problemFor } from '../../packages/server/src/http-errors.js';

const up = (await redisUp()) && (await postgresUp());
let cluster: TestCluster;
let nodes: TandemServer[];

beforeAll(async () => {
  if (!up) return;
  cluster = await startCluster(2, {}, { redis: true, postgres: true });
  nodes = cluster.nodes;
});
afterAll(() => cluster?.stop());

/** The same request sent to both nodes, several times each, all at once. */
async function race(path: string, body: unknown): Promise<{ status: number; body: any }[]> {
  const cookies = await Promise.all(nodes.map((n) => signIn(n.url)));
  return Promise.all(Array.from({ length: 8 }, (_, i) => api(nodes[i % 2]!.url, path, { auth: cookies[i % 2]!, body })));
}

describe('a unique key refused by the database', () => {
  it('is answered 409 (logged), from PostgreSQL and from SQLite alike', () => {
    for (const code of ['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']) {
      const err = Object.assign(new Error('duplicate key value violates unique constraint "sites_pkey"'), { code });
      expect(problemFor(err, '/api/v1/sites')).toMatchObject({ body: { status: 409, code: 'TDM_CONFLICT' }, internal: true });
      expect(JSON.stringify(problemFor(err).body)).not.toMatch(/duplicate|constraint/);
    }
    expect(problemFor(Object.assign(new Error('x'), { code: '23503' }))).toMatchObject({ body: { status: 500 } });
  });
});

describe.runIf(up)('two nodes creating the same thing at once', () => {
  it('a site: one is created, the others are conflicts', async () => {
    const answers = await race('/api/v1/sites', { key: 'raced-site', name: 'Raced' });
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201)) expect(a).toMatchObject({ status: 409, body: { code: 'TDM_CONFLICT' } });
  });

  it('an agent: one is created, the others are conflicts that do not quote the database', async () => {
    const answers = await race('/api/v1/agents', { email: 'raced@example.test', password: 'raced password 1', name: 'Raced' });
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a).toMatchObject({ status: 409, body: { code: 'TDM_CONFLICT' } });
      expect(JSON.stringify(a.body)).not.toMatch(/duplicate key|constraint|UNIQUE/i);
    }
  });
});
