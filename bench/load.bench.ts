/**
 * Load on real Tandem server nodes: simulated visitors and agents in separate
 * processes, over loopback, at several session counts; then a scripted 60 s
 * demo session in headless Chromium for the upstream of a real page, beside
 * rrweb recording the same session. See bench/README.md ("Load benchmark").
 *
 *   npm run bench:load -- [--sessions 100,500,1000] [--seconds 30] [--nodes 1|2] [--demo-seconds 60]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freshPgSchema, redisPrefix, REDIS_URL, type PgSchema } from '../test/helpers/services.js';
import { connectRedis, deletePrefix } from '../packages/server/src/redis/client.js';

async function forgetPrefix(prefix: string): Promise<void> {
  const redis = await connectRedis({ url: REDIS_URL, name: 'tandem-bench-cleanup', report: () => {} });
  try {
    await deletePrefix(redis, prefix);
  } finally {
    await redis.quit();
  }
}
import { summarize, type CpuProfile } from './load/cpu-profile.js';
import { runDemoSession, type DemoResult } from './load/demo-session.js';
import {
  arg,
  fmtInt,
  fmtKb,
  fmtKbit,
  fmtMb,
  fmtMs,
  fmtPct,
  listArg,
  loadLine,
  met,
  numArg,
  percentile,
  printTable,
  progress,
} from './load/report.js';
import { runStep, type StepResult } from './load/steps.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const SESSIONS = listArg('sessions', [100, 500, 1000], 1, 20_000);
const SECONDS = numArg('seconds', 30, 2, 600);
const WARMUP = numArg('warmup', 3, 0, 60);
const QUIET = numArg('quiet', 5, 1, 120);
const NODES = numArg('nodes', 1, 1, 2);
const SIMULATORS = Math.round(numArg('simulators', 2, 2, 16));
const DEMO_SECONDS = numArg('demo-seconds', 60, 0, 600);
const ONLY = arg('only');
/** V8's sampling profiler in each node over each window; profiles are written to PROFILE_DIR and summarized. */
const PROFILE = process.argv.includes('--cpu-prof');
/** After each step, the same sessions against a bare ws relay (bench/load/bare-relay.ts): the floor of this machine at this moment. */
const CONTROL = process.argv.includes('--control');
const PROFILE_DIR = join(tmpdir(), 'tandem-bench');
if (ONLY !== undefined && ONLY !== 'load' && ONLY !== 'demo') throw new Error('--only must be load or demo');
const TRAFFIC = {
  seed: Math.round(numArg('seed', 1, 0, 2 ** 31)),
  snapshotBytes: Math.round(numArg('snapshot-kb', 200, 1, 3000) * 1024),
  changeHz: numArg('change-hz', 2, 0, 100),
  pointerHz: numArg('pointer-hz', 10, 0, 100),
  scrollHz: numArg('scroll-hz', 1, 0, 100),
  openConcurrency: Math.round(numArg('open-concurrency', 8, 1, 200)),
  openTimeoutMs: 20_000,
};

const TARGETS = { p99Ms: 50, sessions: 1000, cpuPercent: 100, idleBytes: 50 * 1024, demoKbit: 75 };

/** Hard limit for the whole run: opening, the windows and teardown of every step, and the demo. */
const OVERALL_LIMIT_MS =
  (ONLY === 'demo' ? 0 : SESSIONS.reduce((ms, n) => ms + 120_000 + n * 400 + (SECONDS + WARMUP + QUIET) * 1000, 0)) +
  (ONLY === 'load' || DEMO_SECONDS === 0 ? 0 : 180_000 + DEMO_SECONDS * 1000) +
  60_000;

// ---------------------------------------------------------------- children and the watchdog

const killers = new Set<() => void>();
/** Registers how to kill something started (by its pid); returns how to forget it once it stopped. */
const track = (kill: () => void) => (killers.add(kill), () => void killers.delete(kill));
let schema: PgSchema | null = null;

function killAll(): void {
  for (const kill of killers) {
    try {
      kill();
    } catch {
      // Already gone.
    }
  }
}

const TWO_NODES_WITHOUT_PG =
  'two nodes: Redis registry and bus, NOT PostgreSQL (the nodes made no tables in the schema: each kept its own SQLite file); visitor and agent on different nodes';

/** Tables the nodes made in the step's schema: none means they did not use PostgreSQL (each kept its own SQLite file). */
async function tablesIn(schema: PgSchema): Promise<number> {
  const c = new pg.Client({ connectionString: schema.url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()');
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------- report

/** A step's first cell: its session count, and "bare relay" for the control. */
const stepLabel = (r: StepResult, n: number) => (r.target === 'tandem' ? fmtInt(n) : `${fmtInt(n)} bare relay`);

function printLoad(results: StepResult[], topology: string): void {
  const total = (r: StepResult, f: (n: StepResult['nodes'][number]) => number) => r.nodes.reduce((s, n) => s + f(n), 0);
  printTable(
    `Latency, a visitor's change to its agent through the server (${topology}); every frame of the window`,
    [
      'sessions',
      'open',
      'frames',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'lost',
      'dropped',
      'sim loop p99 ms',
      'sim CPU',
      'sim waiting for a CPU',
      'loadavg (end of window)',
    ],
    results.map((r) => [
      stepLabel(r, r.sessions),
      fmtInt(r.opened),
      fmtInt(r.sorted.length),
      fmtMs(percentile(r.sorted, 50)),
      fmtMs(percentile(r.sorted, 95)),
      fmtMs(percentile(r.sorted, 99)),
      fmtMs(r.sorted[r.sorted.length - 1] ?? NaN),
      fmtInt(r.window.lost),
      fmtInt(r.window.dropped),
      fmtMs(r.window.loopDelayP99Ms),
      fmtPct(r.window.cpuPercent),
      fmtPct(r.window.cpuWaitPercent),
      r.loadActive,
    ]),
  );
  printTable(
    `Server CPU, % of one core per node process (/proc/<pid>/stat utime+stime over the window)`,
    ['sessions', 'node', 'idle CPU', 'active CPU', 'CPU per 1,000 active', 'event loop busy', 'waiting for a CPU', 'loadavg (end of window)'],
    results.flatMap((r) => [
      ...r.nodes.map((n, i) => [
        stepLabel(r, r.opened),
        `${i + 1} (pid ${n.pid})`,
        fmtPct(n.idleCpuPercent),
        fmtPct(n.activeCpuPercent),
        fmtPct((n.activeCpuPercent / r.opened) * 1000),
        fmtPct(n.loopBusyPercent),
        fmtPct(n.cpuWaitPercent),
        r.loadActive,
      ]),
      // The shared Redis serves other clients too: its figure is an upper bound of what this run cost it.
      ...(r.redisCpuPercent === null
        ? []
        : [[fmtInt(r.opened), 'redis-server (shared)', '', fmtPct(r.redisCpuPercent), '', '', '', r.loadActive]]),
    ]),
  );
  printTable(
    'Server memory (RSS from /proc; heap+external from process.memoryUsage(); "GC": after two full collections through the inspector)',
    [
      'sessions',
      'base RSS (GC)',
      'idle RSS (GC)',
      'per idle session RSS',
      'per idle session heap+ext',
      'active RSS',
      'per active session RSS',
      'per active session RSS (GC)',
      'loadavg (quiet phase)',
    ],
    results.map((r) => {
      const n = r.opened || NaN;
      const base = total(r, (x) => x.base.rss);
      const heap = (m: { heapUsed: number; external: number }) => m.heapUsed + m.external;
      return [
        stepLabel(r, r.opened),
        fmtMb(base),
        fmtMb(total(r, (x) => x.idle.rss)),
        fmtKb((total(r, (x) => x.idle.rss) - base) / n),
        fmtKb((total(r, (x) => heap(x.idle)) - total(r, (x) => heap(x.base))) / n),
        fmtMb(total(r, (x) => x.activeRss)),
        fmtKb((total(r, (x) => x.activeRss) - base) / n),
        fmtKb((total(r, (x) => x.activeAfterGc.rss) - base) / n),
        r.loadIdle,
      ];
    }),
  );
  printTable(
    'Upstream per session while active (what a visitor sends; the keyframe once per snapshot, not in the window)',
    ['sessions', 'frames/s', 'payload B/s', 'on the wire', 'keyframe gzip', 'keyframe raw', 'session open p50 ms', 'loadavg (end of window)'],
    results.map((r) => {
      const perS = r.window.seconds * (r.opened || NaN);
      return [
        stepLabel(r, r.opened),
        (r.window.framesSent / perS).toFixed(1),
        fmtInt(r.window.payloadBytes / perS),
        fmtKbit(r.window.wireBytes / perS),
        fmtKb(r.keyframeBytes),
        fmtKb(r.keyframeRawBytes),
        fmtMs(r.openP50Ms),
        r.loadActive,
      ];
    }),
  );
}

function printProfiles(results: StepResult[]): void {
  mkdirSync(PROFILE_DIR, { recursive: true });
  for (const r of results) {
    r.cpuProfiles.forEach((p, i) => {
      const file = join(PROFILE_DIR, `load-${r.sessions}-node${i + 1}.cpuprofile`);
      writeFileSync(file, JSON.stringify(p));
      const { byFunction, byOwner, totalMs } = summarize(p as CpuProfile);
      const rows = (list: { name: string; ms: number; share: number }[]) => list.map((x) => [x.name, fmtMs(x.ms), fmtPct(x.share * 100), '']);
      printTable(
        `CPU profile of node ${i + 1} at ${fmtInt(r.opened)} sessions: self time by package (${fmtInt(totalMs)} ms sampled; ${file})`,
        ['package', 'ms', 'share', ''],
        rows(byOwner),
      );
      printTable(
        `CPU profile of node ${i + 1} at ${fmtInt(r.opened)} sessions: self time by function`,
        ['function', 'ms', 'share', ''],
        rows(byFunction),
      );
    });
  }
}

function printDemo(d: DemoResult): void {
  printTable(
    `Demo session upstream: ${d.seconds.toFixed(1)} s scripted visitor on the demo (form, scrolls, ${d.pages - 1} page changes), an agent watching`,
    ['recorder', 'messages', 'bytes', 'average', 'largest message', 'notes'],
    [
      [
        'Tandem (visitor WebSocket, sent)',
        fmtInt(d.tandem.messages),
        fmtInt(d.tandem.bytes),
        fmtKbit(d.tandem.bytes / d.seconds),
        fmtInt(d.tandem.largest),
        `${d.tandem.keyframes} keyframes; wire incl. WS framing: ${fmtKbit(d.tandem.wireBytes / d.seconds)}`,
      ],
      [
        'rrweb 2.2.2 (events as JSON)',
        fmtInt(d.rrweb.messages),
        fmtInt(d.rrweb.bytes),
        fmtKbit(d.rrweb.bytes / d.seconds),
        fmtInt(d.rrweb.largest),
        `${d.rrweb.fullSnapshots} full snapshots; one event per message, uncompressed`,
      ],
    ],
  );
  console.log(`  loadavg: ${d.load}`);
}

function printTargets(all: StepResult[], demo: DemoResult | null): void {
  const results = all.filter((r) => r.target === 'tandem');
  const at = [...results].reverse().find((r) => r.sessions >= TARGETS.sessions);
  const largest = results[results.length - 1];
  const rows: string[][] = [];
  const notAt = `not measured at ${fmtInt(TARGETS.sessions)} sessions${largest ? ` (largest step ${fmtInt(largest.sessions)})` : ''}`;
  if (results.length) {
    if (at) {
      const full = at.opened === at.sessions;
      const p99 = percentile(at.sorted, 99);
      rows.push([
        `p99 change-to-agent < ${TARGETS.p99Ms} ms at ${fmtInt(at.sessions)} sessions`,
        `${fmtMs(p99)} ms`,
        met(full && p99 < TARGETS.p99Ms),
        full ? '' : `only ${at.opened} sessions opened`,
        at.loadActive,
      ]);
      const cpu = Math.max(...at.nodes.map((n) => n.activeCpuPercent));
      rows.push([
        `one core carries ${fmtInt(at.sessions)} active sessions (node CPU < ${TARGETS.cpuPercent}%)`,
        fmtPct(cpu),
        met(full && cpu < TARGETS.cpuPercent),
        at.nodes.length > 1 ? 'busiest of the nodes; each carries half the sockets' : '',
        at.loadActive,
      ]);
    } else {
      rows.push([`p99 change-to-agent < ${TARGETS.p99Ms} ms at 1,000 sessions`, 'n/a', 'NOT MEASURED', notAt, loadLine()]);
      rows.push([`one core carries 1,000 active sessions`, 'n/a', 'NOT MEASURED', notAt, loadLine()]);
    }
    const m = at ?? largest!;
    const perIdle = (m.nodes.reduce((s, n) => s + n.idle.rss - n.base.rss, 0) || NaN) / m.opened;
    rows.push([
      `memory per idle session < ${TARGETS.idleBytes / 1024} KB`,
      fmtKb(perIdle),
      met(perIdle < TARGETS.idleBytes),
      `RSS delta after GC at ${fmtInt(m.opened)} sessions`,
      m.loadIdle,
    ]);
  }
  if (demo) {
    const kbit = (demo.tandem.bytes * 8) / 1000 / demo.seconds;
    rows.push([
      `demo session upstream < ${TARGETS.demoKbit} kbit/s`,
      `${kbit.toFixed(2)} kbit/s`,
      met(kbit < TARGETS.demoKbit),
      `${demo.seconds.toFixed(0)} s session`,
      demo.load,
    ]);
  }
  printTable('Targets', ['target', 'measured', 'result', 'notes', 'loadavg'], rows);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const t0 = Date.now();
  const watchdog = setTimeout(() => {
    console.error(`load bench: over the overall limit of ${(OVERALL_LIMIT_MS / 1000).toFixed(0)} s, stopping everything it started`);
    killAll();
    void schema?.drop().catch(() => {});
    setTimeout(() => process.exit(2), 1000);
  }, OVERALL_LIMIT_MS);
  const onSignal = () => {
    killAll();
    void (schema?.drop().catch(() => {}) ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  console.log('Tandem load: real server nodes over loopback, simulated visitors and agents in separate processes');
  console.log(`  Node ${process.version}; CPU: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}; loadavg at start: ${loadLine()}`);
  const results: StepResult[] = [];
  let demo: DemoResult | null = null;
  try {
    if (ONLY !== 'demo') {
      let topology =
        NODES === 1 ? 'one node: memory bus, SQLite' : 'two nodes: Redis registry and bus, PostgreSQL; visitor and agent on different nodes';
      console.log(
        `  ${topology}; ${SIMULATORS} simulator processes; per session: change ${TRAFFIC.changeHz}/s, pointer ${TRAFFIC.pointerHz}/s, scroll ${TRAFFIC.scrollHz}/s; ` +
          `snapshot ${fmtKb(TRAFFIC.snapshotBytes)} raw; window ${SECONDS} s after ${WARMUP} s warm-up; quiet phase ${QUIET} s`,
      );
      for (const sessions of SESSIONS) {
        progress(`step: ${sessions} sessions`);
        let nodeEnv: Record<string, string>[] = [{}];
        let prefix: string | null = null;
        if (NODES === 2) {
          // A fresh install for each step: an empty schema, a key prefix of its own in the shared Redis.
          schema = await freshPgSchema();
          prefix = redisPrefix();
          nodeEnv = [0, 1].map(() => ({ REDIS_URL, TANDEM_REDIS_PREFIX: prefix!, DATABASE_URL: schema!.url }));
        }
        try {
          const step = {
            root: ROOT,
            sessions,
            simulators: SIMULATORS,
            seconds: SECONDS,
            warmupSeconds: WARMUP,
            quietSeconds: QUIET,
            traffic: TRAFFIC,
            nodeEnv,
            track,
            profile: PROFILE,
            control: false,
            redisCpu: NODES === 2 && /^redis:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(REDIS_URL),
          };
          results.push(await runStep(step));
          if (CONTROL) {
            progress(`control: ${sessions} sessions on the bare relay`);
            results.push(await runStep({ ...step, control: true, profile: false, redisCpu: false }));
          }
        } finally {
          // Said, not assumed: a server that ignores DATABASE_URL leaves the schema empty.
          if (schema && (await tablesIn(schema).catch(() => -1)) === 0) {
            topology = TWO_NODES_WITHOUT_PG;
          }
          await schema?.drop().catch((e: unknown) => progress(`could not drop the schema: ${String(e)}`));
          schema = null;
          // The step's sessions, codes and counters stay in Redis otherwise (3,000 keys a step at 1,000 sessions).
          if (prefix) await forgetPrefix(prefix).catch((e: unknown) => progress(`could not delete the Redis keys: ${String(e)}`));
        }
      }
      printLoad(results, topology);
      if (PROFILE) printProfiles(results);
    }
    if (ONLY !== 'load' && DEMO_SECONDS > 0) {
      progress(`demo session: ${DEMO_SECONDS} s`);
      demo = await runDemoSession({ root: ROOT, seconds: DEMO_SECONDS, track });
      printDemo(demo);
    }
    printTargets(results, demo);
    console.log(`\ndone in ${((Date.now() - t0) / 1000).toFixed(0)} s; loadavg at end: ${loadLine()}`);
  } finally {
    clearTimeout(watchdog);
    killAll();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    killAll();
    process.exit(1);
  },
);
