/**
 * The deployment files (Dockerfile, compose.yaml, Caddyfile, .env.example) checked against the server they
 * deploy, without Docker: this machine has none, so neither `docker compose config`, `caddy validate` nor an
 * image build can run here. What can drift silently is checked instead: a misspelt setting, a node with another
 * secret, an address that names no service, a sticky balancer, a health check on a path the server lacks.
 *
 * compose.yaml is read with `yaml`, which is not a dependency of ours but is installed for @fastify/swagger
 * (and vite): if it ever goes, this file fails to import rather than passing. The Dockerfile and Caddyfile
 * are read line by line (their grammars are small, and no parser for either is installed).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@tandem/server';
import { compileTrust } from '../../packages/server/src/net/client-address.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  command?: string[];
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  [key: string]: unknown;
}
// Merge keys (`<<: *tandem-node`) as Compose reads them.
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service>; networks: Record<string, any> };
const services = compose.services;
const tandemNodes = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** KEY=VALUE lines of .env.example, as Compose reads .env. */
const envExample = Object.fromEntries(
  read('.env.example')
    .split('\n')
    .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; $$ is a dollar. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Z_][A-Z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
    (whole, name?: string, colon?: string, op?: string, arg?: string) => {
      if (whole === '$$') return '$';
      const set = env[name!];
      const missing = set === undefined || (colon === ':' && set === '');
      if (!missing) return set;
      if (op === '?') throw new Error(`${name} is required: ${arg}`);
      return op === '-' ? arg! : '';
    },
  );
}

/** Names a value interpolates: "postgres://u:${P:?x}@h" → ["P"]. */
const variablesIn = (value: string) => [...value.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);

/** Every environment variable loadConfig reads, for this environment and for an empty one (all defaults). */
function settingsRead(env: Record<string, string>): Set<string> {
  const seen = new Set<string>();
  const watched = (source: Record<string, string>) =>
    new Proxy(source, {
      get: (target, key) => (typeof key === 'string' && seen.add(key), target[key as string]),
      has: (target, key) => (typeof key === 'string' && seen.add(key), key in target),
    });
  loadConfig(watched({}));
  loadConfig(watched(env));
  return seen;
}

interface Instruction {
  stage: number;
  keyword: string;
  args: string;
}
/** The Dockerfile as instructions (continuation lines joined, comments dropped), each with its stage's index. */
function dockerfile(): Instruction[] {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let stage = -1;
  return lines.map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword!.toUpperCase() === 'FROM') stage++;
    return { stage, keyword: keyword!.toUpperCase(), args: rest.join(' ') };
  });
}
const instructions = dockerfile();
const finalStage = Math.max(...instructions.map((i) => i.stage));
const inFinal = (keyword: string) => instructions.filter((i) => i.stage === finalStage && i.keyword === keyword);
/** ENV a=b c=d (the form the Dockerfile uses) of the final stage. */
const imageEnv: Record<string, string> = Object.fromEntries(
  inFinal('ENV').flatMap((i) => i.args.split(/\s+/).map((pair) => pair.split('=', 2))),
);

/** The Caddyfile's directives, without comments: [name, ...arguments] per line. */
const caddyLines = read('Caddyfile')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter(Boolean)
  .map((l) => l.split(/\s+/));

/** The environment each Tandem node starts with: the image's ENV, then compose's, filled from .env.example. */
const nodeEnv = (service: Service) => ({
  ...imageEnv,
  ...Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), envExample)])),
});

describe('compose.yaml', () => {
  it('starts two Tandem nodes from the same build and image, with the same settings', () => {
    expect(tandemNodes.map(([name]) => name)).toEqual(['tandem-1', 'tandem-2']);
    const [[, a], [, b]] = tandemNodes as [[string, Service], [string, Service]];
    expect(a.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(b.build).toEqual(a.build);
    expect(b.image).toBe(a.image);
    expect(b.environment).toEqual(a.environment);
    // Each node its own data directory: a SQLite file shared by two processes is not a cluster.
    expect(a.volumes).not.toEqual(b.volumes);
  });

  it('sets on the nodes only settings the server reads (a misspelt one fails here)', () => {
    for (const [name, service] of tandemNodes) {
      const env = nodeEnv(service);
      const read = settingsRead(env);
      const unknown = Object.keys(env).filter((k) => !read.has(k));
      expect(unknown, `${name} sets variables loadConfig never reads`).toEqual([]);
      // And the server accepts them as .env.example fills them (addresses, the proxy list).
      expect(() => loadConfig(env)).not.toThrow();
    }
  });

  it('gives every node the same TANDEM_SECRET from .env, and no secret or password as a literal', () => {
    for (const [, service] of tandemNodes) expect(variablesIn(service.environment!.TANDEM_SECRET!)).toEqual(['TANDEM_SECRET']);
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/SECRET|PASSWORD/.test(key)) expect(variablesIn(String(value)), `${name}.${key} must come from .env`).not.toEqual([]);
      }
    }
    // .env.example holds placeholders, never a usable secret.
    for (const key of ['TANDEM_SECRET', 'POSTGRES_PASSWORD', 'TANDEM_ADMIN_PASSWORD']) expect(envExample[key]).toMatch(/^replace-/);
  });

  it('documents in .env.example every variable it reads from .env', () => {
    const text = read('.env.example');
    const wanted = new Set(variablesIn(read('compose.yaml')));
    for (const name of wanted) expect(text, `${name} is not in .env.example`).toMatch(new RegExp(`\\b${name}=`));
    // And nothing else: a misspelt key there would be ignored by Compose without a word.
    expect(Object.keys(envExample).filter((name) => !wanted.has(name))).toEqual([]);
    // Required ones as lines Compose reads, so a copied .env.example starts.
    for (const [, service] of tandemNodes) expect(() => nodeEnv(service)).not.toThrow();
  });

  it('points REDIS_URL at the Redis service (persistent) and DATABASE_URL at the PostgreSQL service', () => {
    const env = nodeEnv(tandemNodes[0]![1]);
    const redis = new URL(env.REDIS_URL!);
    expect(redis.protocol).toBe('redis:');
    expect(services[redis.hostname]?.image).toMatch(/^redis:7\b/);
    const redisCommand = services[redis.hostname]!.command!.join(' ');
    expect(redisCommand).toMatch(/--appendonly yes\b/);
    expect(services[redis.hostname]!.volumes!.some((v) => v.endsWith(':/data'))).toBe(true);

    const pgUrl = new URL(env.DATABASE_URL!);
    expect(pgUrl.protocol).toBe('postgres:');
    const pg = services[pgUrl.hostname]!;
    expect(pg.image).toMatch(/^postgres:1[56]\b/);
    expect(pgUrl.port || '5432').toBe('5432');
    expect(pgUrl.username).toBe(pg.environment!.POSTGRES_USER);
    expect(pgUrl.pathname).toBe(`/${pg.environment!.POSTGRES_DB}`);
    // The nodes' password and the database's are the same variable of .env.
    const raw = tandemNodes[0]![1].environment!.DATABASE_URL!;
    expect(variablesIn(raw)).toEqual(variablesIn(pg.environment!.POSTGRES_PASSWORD!));
    expect(pg.volumes!.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
  });

  it('has the nodes believe X-Forwarded-For from the load balancer alone', () => {
    const caddy = services.caddy!;
    const edge = (caddy.networks as Record<string, { ipv4_address?: string }>).edge!;
    const proxyAddress = edge.ipv4_address!;
    expect(isIP(proxyAddress)).toBe(4);
    const trust = loadConfig(nodeEnv(tandemNodes[0]![1])).trustProxy;
    // A list of addresses: a hop count would believe whoever connects directly too.
    expect(Array.isArray(trust)).toBe(true);
    expect(compileTrust(trust)(proxyAddress, 0)).toBe(true);
    expect(compileTrust(trust)('203.0.113.7', 0)).toBe(false);
    // The fixed address lies in the network's declared subnet (else Compose refuses it).
    const subnet: string = compose.networks.edge.ipam.config[0].subnet;
    expect(compileTrust([subnet])(proxyAddress, 0)).toBe(true);
  });
});

describe('Caddyfile', () => {
  it('balances over both nodes round robin, with nothing that pins a client to a node', () => {
    const proxy = caddyLines.find(([d]) => d === 'reverse_proxy')!;
    const upstreams = proxy.slice(1).filter((a) => a !== '{');
    const port = imageEnv.PORT;
    expect(upstreams.sort()).toEqual(tandemNodes.map(([name]) => `${name}:${port}`).sort());
    const policies = caddyLines.filter(([d]) => d === 'lb_policy').map((l) => l.slice(1).join(' '));
    expect(policies).toEqual(['round_robin']);
    // Caddy's sticky forms: a cookie policy, client-address and header hashes.
    const sticky = caddyLines.filter((l) => l.some((w) => /^(cookie|ip_hash|client_ip_hash|uri_hash|sticky)$/.test(w)));
    expect(sticky).toEqual([]);
    // Compose mounts this file where the image reads it.
    expect(services.caddy!.volumes).toContain('./Caddyfile:/etc/caddy/Caddyfile:ro');
  });
});

describe('Dockerfile', () => {
  it('builds on a Node LTS the project supports and starts the CLI', () => {
    const { engines, workspaces } = JSON.parse(read('package.json')) as { engines: { node: string }; workspaces: string[] };
    expect(workspaces).toEqual(['packages/*']);
    const minimum = Number(/^>=\s*(\d+)/.exec(engines.node)![1]);
    const arg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_MAJOR='))!;
    const major = Number(arg.args.split('=')[1]);
    // Even majors are Node's LTS lines; the image must be one at or above package.json's engines.
    expect(major).toBeGreaterThanOrEqual(minimum);
    expect(major % 2).toBe(0);
    const bases = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    expect(bases).toEqual(['node:${NODE_MAJOR}-bookworm-slim', 'node:${NODE_MAJOR}-bookworm-slim']);

    const cmd = JSON.parse(inFinal('CMD')[0]!.args) as string[];
    const cli = JSON.parse(read('packages/cli/package.json')) as { bin: { tandem: string } };
    expect(cmd).toEqual(['node', `packages/cli/${cli.bin.tandem.replace(/^\.\//, '')}`, 'start']);
    expect(read('packages/cli/src/main.ts')).toContain(".command('start')");
  });

  it('builds the bundles with the compilers better-sqlite3 needs, and keeps only what runs', () => {
    const build = instructions.filter((i) => i.stage === 0 && i.keyword === 'RUN').map((i) => i.args);
    expect(build.join('\n')).toMatch(/apt-get install[^\n]*\bpython3\b[^\n]*\bmake\b[^\n]*\bg\+\+/);
    expect(build).toContain('npm ci --no-audit --no-fund');
    expect(build.join('\n')).toMatch(/node scripts\/build\.mjs && npm prune --omit=dev/);
    // The final stage installs nothing: no compiler reaches the running image.
    expect(inFinal('RUN').map((i) => i.args)).toEqual(['mkdir -p /data && chown node:node /data']);
  });

  it('runs as a user who is not root, with the data directory a volume, and no secret in the image', () => {
    const users = inFinal('USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(imageEnv.TANDEM_DATA_DIR).toBe('/data');
    expect(JSON.parse(inFinal('VOLUME')[0]!.args)).toEqual(['/data']);
    expect(inFinal('EXPOSE').map((i) => i.args)).toEqual([imageEnv.PORT]);
    expect(inFinal('STOPSIGNAL').map((i) => i.args)).toEqual(['SIGTERM']);
    // The settings the image sets are the server's; none is a secret, and the build context leaves .env out.
    expect([...Object.keys(imageEnv)].filter((k) => !settingsRead(imageEnv).has(k))).toEqual([]);
    expect(instructions.filter((i) => /SECRET|PASSWORD/i.test(i.keyword === 'ENV' || i.keyword === 'ARG' ? i.args : ''))).toEqual([]);
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toContain('.env');
    expect(read('.gitignore').split('\n')).toContain('.env');
  });
});

describe('health checks', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startTestServer()));
  afterAll(() => server.stop());

  it('the image and the balancer ask a path the server answers 200 on', async () => {
    const healthcheck = inFinal('HEALTHCHECK')[0]!.args;
    const imagePath = /\/[a-z]+(?='\))/.exec(healthcheck)![0];
    const caddyPath = caddyLines.find(([d]) => d === 'health_uri')![1]!;
    expect(caddyPath).toBe(imagePath);
    const res = await fetch(`${server.url}${imagePath}`);
    expect(res.status).toBe(200);
    // And one the server does not have is not 200: the check above can fail.
    expect((await fetch(`${server.url}${imagePath}-not-a-route`)).status).toBe(404);
  });
});
