/**
 * One step of the load benchmark: fresh server nodes, N sessions opened by the
 * simulators, a quiet phase (idle memory and CPU), then an active window
 * (latency, CPU, upstream, active memory). Everything is torn down after it.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { NodeTarget, SessionPlan, TrafficPlan, WindowStats } from './messages.js';
import {
  BARE_RELAY,
  eventLoopUse,
  loopShare,
  memoryAfterGc,
  signIn,
  startNode,
  startProfile,
  TANDEM_NODE,
  type NodeMemory,
  type ServerNode,
} from './nodes.js';
import { cpuSeconds, pidsNamed, rssBytes, schedstat } from './proc.js';
import { forkSimulator, type SimulatorHandle } from './simulators.js';
import { loadLine, progress, sleep } from './report.js';

/** Session starts allowed per client address and minute (packages/server/src/routes/visitor.ts): we stay under it. */
const STARTS_PER_ADDRESS = 15;

export interface StepOptions {
  root: string;
  sessions: number;
  simulators: number;
  seconds: number;
  warmupSeconds: number;
  quietSeconds: number;
  traffic: Omit<TrafficPlan, 'control'>;
  /** Environment of each node (REDIS_URL and the rest for a cluster); one entry per node. */
  nodeEnv: Record<string, string>[];
  /** Every child this step starts is registered here first, so the watchdog can kill it by pid. */
  track: (kill: () => void) => () => void;
  /** The control: one bare relay instead of Tandem's nodes (bench/load/bare-relay.ts). */
  control: boolean;
  /** Also measure the CPU of the local Redis server over the window (a shared service: other clients count too). */
  redisCpu: boolean;
  /** Profile each node's CPU over the window (V8's sampling profiler, through the inspector). */
  profile: boolean;
}

export interface NodeFigures {
  pid: number;
  base: NodeMemory;
  idle: NodeMemory;
  /** At the end of the active window, without a GC, and after one. */
  activeRss: number;
  activeAfterGc: NodeMemory;
  idleCpuPercent: number;
  activeCpuPercent: number;
  /** Share of the window the node's event loop was busy (performance.eventLoopUtilization()). */
  loopBusyPercent: number;
  /** Share of the window its main thread was runnable but waiting for a CPU (/proc/<pid>/schedstat). */
  cpuWaitPercent: number;
}

export interface StepResult {
  /** What carried the sessions: Tandem's nodes, or the bare relay of the control. */
  target: 'tandem' | 'bare relay';
  sessions: number;
  opened: number;
  openErrors: string[];
  openP50Ms: number;
  keyframeBytes: number;
  keyframeRawBytes: number;
  nodes: NodeFigures[];
  window: WindowStats;
  /** Latencies of all simulators, sorted. */
  sorted: Float64Array;
  loadIdle: string;
  loadActive: string;
  /** CPU of the local redis-server over the window, % of one core (null when not measured or not found). */
  redisCpuPercent: number | null;
  /** One .cpuprofile per node, when asked for. */
  cpuProfiles: unknown[];
}

/** A loopback source address per block of sessions: 127.1.0.1, 127.1.0.2, ... (all of 127/8 is loopback on Linux). */
export function sourceAddress(index: number): string {
  const block = Math.floor(index / STARTS_PER_ADDRESS);
  return `127.1.${Math.floor(block / 250)}.${(block % 250) + 1}`;
}

function cpuPercent(pid: number, from: number, seconds: number): number {
  return ((cpuSeconds(pid) - from) / seconds) * 100;
}

export async function runStep(o: StepOptions): Promise<StepResult> {
  const nodes: ServerNode[] = [];
  const sims: SimulatorHandle[] = [];
  const untrack: (() => void)[] = [];
  try {
    const secret = randomBytes(32).toString('base64url');
    for (const env of o.control ? [{}] : o.nodeEnv) {
      const node = await startNode(o.root, { TANDEM_SECRET: secret, ...env }, 90_000, o.control ? BARE_RELAY : TANDEM_NODE);
      nodes.push(node);
      untrack.push(
        o.track(() => {
          node.child.kill('SIGKILL');
          rmSync(node.dataDir, { recursive: true, force: true });
        }),
      );
    }
    progress(`  ${nodes.length} node(s) up: ${nodes.map((n) => `${n.url} pid ${n.pid}`).join(', ')}`);
    const targets: NodeTarget[] = [];
    for (const n of nodes) targets.push({ url: n.url, cookie: o.control ? '' : await signIn(n.url) });
    await sleep(1000);
    const base = await Promise.all(nodes.map((n) => memoryAfterGc(n)));

    for (let i = 0; i < o.simulators; i++) {
      const sim = forkSimulator(o.root, i);
      sims.push(sim);
      untrack.push(o.track(() => sim.kill()));
    }
    await Promise.all(sims.map((s) => s.next('ready', 60_000)));

    // Sessions spread over the simulators; with two nodes, a session's visitor and agent are on different ones.
    const plans: SessionPlan[][] = sims.map(() => []);
    for (let i = 0; i < o.sessions; i++) {
      const visitorNode = i % nodes.length;
      plans[i % sims.length]!.push({ index: i, visitorNode, agentNode: (visitorNode + 1) % nodes.length, localAddress: sourceAddress(i) });
    }
    const t0 = Date.now();
    sims.forEach((s, i) => s.send({ t: 'open', nodes: targets, sessions: plans[i]!, traffic: { ...o.traffic, control: o.control } }));
    const perSim = Math.ceil(o.sessions / sims.length);
    const openLimit = 60_000 + Math.ceil(perSim / o.traffic.openConcurrency) * o.traffic.openTimeoutMs;
    const opened = await Promise.all(sims.map((s) => s.next('opened', openLimit)));
    const ok = opened.reduce((n, r) => n + r.ok, 0);
    const openMs = opened.flatMap((r) => r.openMs).sort((a, b) => a - b);
    progress(
      `  ${ok} of ${o.sessions} sessions open in ${((Date.now() - t0) / 1000).toFixed(1)} s${
        ok < o.sessions
          ? `; failures: ${opened
              .flatMap((r) => r.errors)
              .slice(0, 5)
              .join(' | ')}`
          : ''
      }`,
    );

    // Quiet: every session has its visitor and agent connected and says nothing.
    const idleCpu0 = nodes.map((n) => cpuSeconds(n.pid));
    const idleT0 = Date.now();
    await sleep(o.quietSeconds * 1000);
    const idleSeconds = (Date.now() - idleT0) / 1000;
    const idleCpu = nodes.map((n, i) => cpuPercent(n.pid, idleCpu0[i]!, idleSeconds));
    const loadIdle = loadLine();
    const idle = await Promise.all(nodes.map((n) => memoryAfterGc(n)));

    // Active: traffic starts, the window is measured after a warm-up.
    for (const s of sims) s.send({ t: 'start' });
    await Promise.all(sims.map((s) => s.next('started', 10_000)));
    await sleep(o.warmupSeconds * 1000);
    const profiles = o.profile ? await Promise.all(nodes.map((n) => startProfile(n))) : [];
    const loop0 = await Promise.all(nodes.map((n) => eventLoopUse(n)));
    for (const s of sims) s.send({ t: 'mark' });
    const cpu0 = nodes.map((n) => cpuSeconds(n.pid));
    const redisPid = o.redisCpu ? (pidsNamed('redis-server')[0] ?? null) : null;
    const redis0 = redisPid === null ? 0 : cpuSeconds(redisPid);
    const sched0 = nodes.map((n) => schedstat(n.pid));
    const w0 = Date.now();
    progress(`  active window: ${o.seconds} s`);
    await sleep(o.seconds * 1000);
    const wall = (Date.now() - w0) / 1000;
    const activeCpu = nodes.map((n, i) => cpuPercent(n.pid, cpu0[i]!, wall));
    const redisCpuPercent = redisPid === null ? null : cpuPercent(redisPid, redis0, wall);
    const cpuWait = nodes.map((n, i) => ((schedstat(n.pid).waitNs - sched0[i]!.waitNs) / 1e9 / wall) * 100);
    const activeRss = nodes.map((n) => rssBytes(n.pid));
    const loop1 = await Promise.all(nodes.map((n) => eventLoopUse(n)));
    const cpuProfiles = await Promise.all(profiles.map((p) => p.stop()));
    const loadActive = loadLine();
    for (const s of sims) s.send({ t: 'stop' });
    const stats = (await Promise.all(sims.map((s) => s.next('stats', 60_000)))).map((m) => m.stats);
    const activeAfterGc = await Promise.all(nodes.map((n) => memoryAfterGc(n)));

    const all = stats.flatMap((s) => s.latencies);
    const sorted = Float64Array.from(all).sort();
    const window: WindowStats = {
      seconds: wall,
      latencies: [],
      lost: stats.reduce((n, s) => n + s.lost, 0),
      framesSent: stats.reduce((n, s) => n + s.framesSent, 0),
      payloadBytes: stats.reduce((n, s) => n + s.payloadBytes, 0),
      wireBytes: stats.reduce((n, s) => n + s.wireBytes, 0),
      dropped: stats.reduce((n, s) => n + s.dropped, 0),
      errors: stats.flatMap((s) => s.errors),
      loopDelayP99Ms: Math.max(...stats.map((s) => s.loopDelayP99Ms)),
      cpuPercent: Math.max(...stats.map((s) => s.cpuPercent)),
      cpuWaitPercent: Math.max(...stats.map((s) => s.cpuWaitPercent)),
    };
    if (window.errors.length) progress(`  errors in the window: ${window.errors.slice(0, 5).join(' | ')}`);
    return {
      target: o.control ? 'bare relay' : 'tandem',
      sessions: o.sessions,
      opened: ok,
      openErrors: opened.flatMap((r) => r.errors),
      openP50Ms: openMs[Math.floor(openMs.length / 2)] ?? NaN,
      keyframeBytes: opened[0]!.keyframeBytes,
      keyframeRawBytes: opened[0]!.keyframeRawBytes,
      nodes: nodes.map((n, i) => ({
        pid: n.pid,
        base: base[i]!,
        idle: idle[i]!,
        activeRss: activeRss[i]!,
        activeAfterGc: activeAfterGc[i]!,
        idleCpuPercent: idleCpu[i]!,
        activeCpuPercent: activeCpu[i]!,
        loopBusyPercent: loopShare(loop0[i]!, loop1[i]!) * 100,
        cpuWaitPercent: cpuWait[i]!,
      })),
      window,
      sorted,
      loadIdle,
      loadActive,
      cpuProfiles,
      redisCpuPercent,
    };
  } finally {
    // What the nodes said besides the inspector's notices: warnings and errors at TANDEM_LOG_LEVEL=warn.
    for (const n of nodes) {
      const said = n
        .log()
        .split('\n')
        .filter((l) => l.trim() && !/Debugger (listening|attached|ending)|For help, see|Waiting for the debugger/.test(l));
      if (said.length) progress(`  node pid ${n.pid} said:\n${said.slice(-10).join('\n')}`);
    }
    for (const s of sims) s.send({ t: 'close' });
    await sleep(300);
    for (const s of sims) s.kill();
    await Promise.all(nodes.map((n) => n.stop()));
    for (const u of untrack) u();
  }
}
