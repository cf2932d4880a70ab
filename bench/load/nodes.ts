/**
 * Real Tandem server nodes for the load benchmark: `node packages/cli/bin/tandem.js start`
 * as child processes on 127.0.0.1, each with its own data directory. Their CPU and
 * memory are read from /proc; a garbage collection is asked for through the node's
 * inspector (on 127.0.0.1 only, a free port), since the server has no debug hook for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { within } from './report.js';
import { rssBytes } from './proc.js';

export const ADMIN = { email: 'load-bench@example.test', password: 'load bench password 1' };

export interface ServerNode {
  pid: number;
  url: string;
  /** The inspector's WebSocket address (127.0.0.1), for GC and heap figures. */
  inspector: string;
  child: ChildProcess;
  dataDir: string;
  /** What the node printed on stderr (its warnings), the last few KB. */
  log(): string;
  stop(): Promise<void>;
}

export interface NodeMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

/** Starts one node; resolves once it listens and its inspector is known. */
/** What a node runs: Tandem's CLI, or (for the control) the bare relay. */
export const TANDEM_NODE = ['packages/cli/bin/tandem.js', 'start'];
export const BARE_RELAY = ['--import', 'tsx', 'bench/load/bare-relay.ts'];

export async function startNode(root: string, env: Record<string, string>, timeoutMs: number, command = TANDEM_NODE): Promise<ServerNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-load-'));
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', ...command], {
    cwd: root,
    // Only what the node needs: settings of the shell that runs the bench (a REDIS_URL) must not leak in.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? tmpdir(),
      PORT: '0',
      HOST: '127.0.0.1',
      TANDEM_DATA_DIR: dataDir,
      TANDEM_ADMIN_EMAIL: ADMIN.email,
      TANDEM_ADMIN_PASSWORD: ADMIN.password,
      TANDEM_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8192)));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8192)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 8000))]);
      if (!done) {
        child.kill('SIGKILL');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const ready = await within(
      timeoutMs,
      'server node start',
      new Promise<{ url: string; inspector: string }>((resolve, reject) => {
        const check = () => {
          const url = /(?:Agent console:|Bare relay listening on)\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
          const inspector = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(err)?.[1];
          if (url && inspector) resolve({ url, inspector });
        };
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        void exited.then((code) => reject(new Error(`server node exited (${code}) before it listened:\n${err}`)));
      }),
    );
    return { pid: child.pid!, ...ready, child, dataDir, log: () => err, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A short DevTools-protocol session with the node's inspector (127.0.0.1): `run` gets a `call` to send methods with. */
async function withInspector<T>(
  node: ServerNode,
  timeoutMs: number,
  run: (call: (method: string, params?: object) => Promise<unknown>) => Promise<T>,
): Promise<T> {
  const ws = new WebSocket(node.inspector, { perMessageDeflate: false });
  let id = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  });
  const call = (method: string, params: object = {}) =>
    within(
      timeoutMs,
      `inspector ${method}`,
      new Promise<unknown>((resolve) => {
        const n = ++id;
        waiting.set(n, resolve);
        ws.send(JSON.stringify({ id: n, method, params }));
      }),
    );
  try {
    await within(timeoutMs, 'inspector connection', new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject))));
    return await run(call);
  } finally {
    ws.terminate();
  }
}

/** Evaluates an expression in the node's main context that returns a JSON string, and parses it. */
async function evaluateJson<T>(call: (method: string, params?: object) => Promise<unknown>, expression: string): Promise<T> {
  const res = (await call('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: string } };
  return JSON.parse(res.result.value) as T;
}

/** Runs a full GC in the node (twice: weak references freed by the first are collected by the second), then reads its memory. */
export function memoryAfterGc(node: ServerNode, timeoutMs = 30_000): Promise<NodeMemory> {
  return withInspector(node, timeoutMs, async (call) => {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const usage = await evaluateJson<{ heapUsed: number; external: number }>(call, 'JSON.stringify(process.memoryUsage())');
    return { rss: rssBytes(node.pid), heapUsed: usage.heapUsed, external: usage.external };
  });
}

export interface LoopUse {
  idle: number;
  active: number;
}

/** The node's event loop utilization so far (performance.eventLoopUtilization(), cumulative ms): read twice, it gives a window's share of busy time. */
export function eventLoopUse(node: ServerNode, timeoutMs = 15_000): Promise<LoopUse> {
  return withInspector(node, timeoutMs, (call) => evaluateJson<LoopUse>(call, 'JSON.stringify(performance.eventLoopUtilization())'));
}

/** Busy share of the loop between two readings. */
export const loopShare = (a: LoopUse, b: LoopUse) => (b.active - a.active) / (b.active - a.active + (b.idle - a.idle));

/**
 * Starts V8's sampling profiler in the node (the inspector's Profiler domain), for one window:
 * `stop` ends it and returns the .cpuprofile JSON. Its sampling costs the node a little CPU.
 */
export async function startProfile(node: ServerNode): Promise<{ stop(): Promise<unknown> }> {
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const result = withInspector(node, 60_000, async (call) => {
    await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: 500 });
    await call('Profiler.start');
    started();
    await finished;
    return ((await call('Profiler.stop')) as { profile: unknown }).profile;
  });
  await within(60_000, 'profiler start', Promise.race([running, result.then(() => {})]));
  return {
    stop() {
      finish();
      return result;
    },
  };
}

/** The admin's sign-in cookie on a node. */
export async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw new Error(`sign-in on ${url} answered ${res.status}: ${await res.text()}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  return cookies.join('; ');
}
