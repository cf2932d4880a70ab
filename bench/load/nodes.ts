/**
 * Real Tandem server nodes for the load benchmark: `node packages/cli/bin/tandem.js start`
 * as child processes on 127.0.0.1, each with its own data directory. Their CPU and
 * memory are read from /proc; a garbage collection is asked for through the node's
 * inspector (on 127.0.0.1 only, a free port), since the server has no debug hook for it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { within } from './report.js';

export const ADMIN = { email: 'load-bench@example.test', password: 'load bench password 1' };

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

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
export async function startNode(root: string, env: Record<string, string>, timeoutMs: number): Promise<ServerNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-load-'));
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', 'packages/cli/bin/tandem.js', 'start'], {
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
          const url = /Agent console:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
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

/** utime + stime of a process in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** The resident set of a process in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Runs a full GC in the node (twice: weak references freed by the first are collected by the second), then reads its memory. */
export async function memoryAfterGc(node: ServerNode, timeoutMs = 30_000): Promise<NodeMemory> {
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
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const res = (await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true })) as {
      result: { value: string };
    };
    const usage = JSON.parse(res.result.value) as { rss: number; heapUsed: number; external: number };
    return { rss: rssBytes(node.pid), heapUsed: usage.heapUsed, external: usage.external };
  } finally {
    ws.terminate();
  }
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
