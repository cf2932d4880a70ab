/**
 * One simulator process of the load benchmark: many sessions, each a visitor
 * and its agent, speaking the protocol over real sockets to the server nodes
 * as the SDK and the viewer do. Started by bench/load.bench.ts with an IPC
 * channel; it does nothing until told, and exits when the channel closes.
 * A session's visitor and agent live in the same process, so a change's
 * travel time is measured on one clock.
 */
import { request } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { FrameFlag, PROTOCOL_VERSION, readFrameHeader } from '@tandem/protocol';
import type { FromSimulator, NodeTarget, SessionPlan, ToSimulator, TrafficPlan, WindowStats } from './messages.js';
import { schedstat } from './proc.js';
import { buildSnapshot, ChangeStream, wireBytes, type BenchSnapshot } from './traffic.js';

const TICK_MS = 10;
/** How long `stop` waits for frames still on their way before counting them lost. */
const DRAIN_MS = 2000;
const MAX_ERRORS = 20;

interface Sim {
  plan: SessionPlan;
  visitor: WebSocket | null;
  agent: WebSocket | null;
  stream: ChangeStream;
  /** Send time of each frame the agent has not had yet, by sequence number. */
  pending: Map<number, number>;
  next: { change: number; pointer: number; scroll: number };
  keyframes: number;
  onKeyframe: (() => void) | null;
  closing: boolean;
}

/** What the simulator reads of the server's JSON messages (the protocol's full types are the server's business). */
type ServerMessage = { t: string; code?: string; message?: string };

const send = (msg: FromSimulator) => process.send?.(msg);

let nodes: NodeTarget[] = [];
let traffic: TrafficPlan;
let snapshot: BenchSnapshot;
const sims: Sim[] = [];
const errors = new Set<string>();
const note = (e: string) => errors.size < MAX_ERRORS && errors.add(e);

// Counters of the measured window.
let active = false;
let markAt = Infinity;
let latencies: number[] = [];
let framesSent = 0;
let payloadBytes = 0;
let wire = 0;
let dropped = 0;
let cpuAtMark = process.cpuUsage();
let schedAtMark = schedstat(process.pid);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

/** POST with JSON from a chosen source address; the answer's status, JSON body and cookie. */
function post(url: string, body: unknown, headers: Record<string, string>, localAddress?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        localAddress,
        timeout: traffic.openTimeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: text });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Opens a socket and says hello; resolves with the socket once `welcome` came. */
function openSocket(
  url: string,
  origin: string,
  localAddress: string | undefined,
  onJson: (msg: ServerMessage) => void,
  onBinary: (data: Buffer) => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin, localAddress, perMessageDeflate: false });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`${new URL(url).pathname}: HTTP ${res.statusCode}`)));
    ws.on('error', (err) => reject(err));
    ws.on('open', () => ws.send(JSON.stringify({ t: 'hello', versions: [PROTOCOL_VERSION] })));
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return onBinary(data);
      const msg = JSON.parse(data.toString('utf8')) as ServerMessage;
      if (msg.t === 'welcome') resolve(ws);
      else if (msg.t === 'error') note(`${new URL(url).pathname}: ${msg.code ?? ''} ${msg.message ?? ''}`);
      onJson(msg);
    });
  });
}

function expo(hz: number, now: number): number {
  return hz > 0 ? now - (Math.log(1 - Math.random()) / hz) * 1000 : Infinity;
}

function sendKeyframe(s: Sim): void {
  if (s.visitor?.readyState !== WebSocket.OPEN) return;
  s.stream.restart();
  // Frames before a keyframe may still arrive; their travel times stay valid, but none follow them.
  s.visitor.send(snapshot.frame);
}

function onAgentFrame(s: Sim, data: Buffer): void {
  const header = readFrameHeader(data);
  if (!header) return;
  if (header.flags & FrameFlag.Keyframe) {
    s.keyframes++;
    s.onKeyframe?.();
    return;
  }
  const sentAt = s.pending.get(header.seq);
  if (sentAt === undefined) return;
  s.pending.delete(header.seq);
  if (sentAt >= markAt) latencies.push(performance.now() - sentAt);
}

function watchClose(s: Sim, ws: WebSocket, who: string): void {
  ws.on('close', (code, reason) => {
    if (s.closing) return;
    s.closing = true;
    dropped++;
    note(`${who} closed: ${code} ${reason.toString()}`);
  });
}

async function openSession(plan: SessionPlan): Promise<Sim> {
  const vNode = nodes[plan.visitorNode]!;
  const aNode = nodes[plan.agentNode]!;
  const s: Sim = {
    plan,
    visitor: null,
    agent: null,
    stream: new ChangeStream(traffic.seed * 100_003 + plan.index, snapshot.nodeCount),
    pending: new Map(),
    next: { change: Infinity, pointer: Infinity, scroll: Infinity },
    keyframes: 0,
    onKeyframe: null,
    closing: false,
  };
  sims.push(s);
  if (traffic.control) return openBare(s, vNode);
  // As the SDK does after consent: start the session, then its socket, then say where the page is.
  const started = await post(
    `${vNode.url}/api/v1/visitor/sessions`,
    { siteKey: 'demo', identity: { name: `Visitor ${plan.index}` }, url: 'https://shop.example/list' },
    { origin: vNode.url },
    plan.localAddress,
  );
  if (started.status !== 201) throw new Error(`session start answered ${started.status} ${JSON.stringify(started.json)}`);
  const { ticket, code } = started.json as { ticket: string; code: string };
  s.visitor = await openSocket(
    `${vNode.url.replace(/^http/, 'ws')}/ws/visitor?ticket=${encodeURIComponent(ticket)}`,
    vNode.url,
    plan.localAddress,
    (msg) => {
      // Capture starts when an agent is there; every later resync is a fresh snapshot.
      if (msg.t === 'resync') sendKeyframe(s);
    },
    () => {},
  );
  watchClose(s, s.visitor, 'visitor');
  s.visitor.send(JSON.stringify({ t: 'page', url: 'https://shop.example/list' }));
  s.visitor.send(
    JSON.stringify({
      t: 'platform',
      platform: { browser: 'Chrome 131', os: 'Linux', viewport: '1280x800', language: 'en-US', timeZone: 'Europe/Berlin' },
    }),
  );

  // The agent redeems the code the visitor read out, on its own node.
  const joined = await post(`${aNode.url}/api/v1/sessions/join`, { code }, { cookie: aNode.cookie, origin: aNode.url });
  if (joined.status !== 200) throw new Error(`join answered ${joined.status} ${JSON.stringify(joined.json)}`);
  return openAgent(
    s,
    `${aNode.url.replace(/^http/, 'ws')}/ws/agent?ticket=${encodeURIComponent((joined.json as { ticket: string }).ticket)}`,
    aNode.url,
  );
}

/** The session's agent socket; resolves once the first keyframe reached it (the session is then under way). */
async function openAgent(s: Sim, url: string, origin: string): Promise<Sim> {
  const keyframe = new Promise<void>((resolve) => (s.onKeyframe = resolve));
  s.agent = await openSocket(
    url,
    origin,
    undefined,
    () => {},
    (data) => onAgentFrame(s, data),
  );
  watchClose(s, s.agent, 'agent');
  await keyframe;
  s.onKeyframe = null;
  return s;
}

/** The control: the same two sockets on the bare relay, paired by the session's index. */
async function openBare(s: Sim, relay: NodeTarget): Promise<Sim> {
  const base = `${relay.url.replace(/^http/, 'ws')}`;
  s.visitor = await openSocket(
    `${base}/visitor?s=${s.plan.index}`,
    relay.url,
    s.plan.localAddress,
    (msg) => msg.t === 'resync' && sendKeyframe(s),
    () => {},
  );
  watchClose(s, s.visitor, 'visitor');
  return openAgent(s, `${base}/agent?s=${s.plan.index}`, relay.url);
}

async function openAll(plans: SessionPlan[]): Promise<void> {
  let ok = 0;
  let failed = 0;
  const openMs: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const plan = plans[next++]!;
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          openSession(plan),
          new Promise(
            (_, rej) =>
              (timer = setTimeout(
                () => rej(new Error(`session ${plan.index}: not open within ${traffic.openTimeoutMs} ms`)),
                traffic.openTimeoutMs,
              )),
          ),
        ]);
        ok++;
        openMs.push(performance.now() - t0);
      } catch (err) {
        failed++;
        note(String((err as Error).message ?? err));
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: traffic.openConcurrency }, worker));
  send({ t: 'opened', ok, failed, errors: [...errors], keyframeBytes: snapshot.frame.length, keyframeRawBytes: snapshot.rawBytes, openMs });
  errors.clear();
}

function tick(): void {
  if (!active) return;
  const now = performance.now();
  for (const s of sims) {
    if (s.closing || s.visitor?.readyState !== WebSocket.OPEN || s.keyframes === 0) continue;
    const change = s.next.change <= now;
    const pointer = s.next.pointer <= now;
    const scroll = s.next.scroll <= now;
    if (!change && !pointer && !scroll) continue;
    if (change) s.next.change = expo(traffic.changeHz, now);
    if (pointer) s.next.pointer = expo(traffic.pointerHz, now);
    if (scroll) s.next.scroll = expo(traffic.scrollHz, now);
    const { seq, bytes } = s.stream.frame(s.stream.events(change, pointer, scroll));
    const at = performance.now();
    s.visitor.send(bytes);
    s.pending.set(seq, at);
    if (at >= markAt) {
      framesSent++;
      payloadBytes += bytes.length;
      wire += wireBytes(bytes.length);
    }
  }
}
setInterval(tick, TICK_MS);

async function stopWindow(): Promise<WindowStats> {
  const seconds = (performance.now() - markAt) / 1000;
  const cpu = process.cpuUsage(cpuAtMark);
  const loopP99 = loop.percentile(99) / 1e6;
  const waitNs = schedstat(process.pid).waitNs - schedAtMark.waitNs;
  active = false;
  const deadline = Date.now() + DRAIN_MS;
  const inWindow = () => sims.reduce((n, s) => n + [...s.pending.values()].filter((t) => t >= markAt).length, 0);
  while (inWindow() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const stats: WindowStats = {
    seconds,
    latencies,
    lost: inWindow(),
    framesSent,
    payloadBytes,
    wireBytes: wire,
    dropped,
    errors: [...errors],
    loopDelayP99Ms: loopP99,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
    cpuWaitPercent: (waitNs / 1e9 / seconds) * 100,
  };
  for (const s of sims) s.pending.clear();
  latencies = [];
  markAt = Infinity;
  errors.clear();
  return stats;
}

process.on('message', (msg: ToSimulator) => {
  switch (msg.t) {
    case 'open':
      nodes = msg.nodes;
      traffic = msg.traffic;
      snapshot = buildSnapshot(traffic.seed, traffic.snapshotBytes);
      openAll(msg.sessions).catch((err: unknown) => send({ t: 'fatal', error: String(err) }));
      break;
    case 'start': {
      const now = performance.now();
      for (const s of sims)
        s.next = { change: expo(traffic.changeHz, now), pointer: expo(traffic.pointerHz, now), scroll: expo(traffic.scrollHz, now) };
      active = true;
      send({ t: 'started' });
      break;
    }
    case 'mark':
      markAt = performance.now();
      framesSent = payloadBytes = wire = dropped = 0;
      latencies = [];
      cpuAtMark = process.cpuUsage();
      schedAtMark = schedstat(process.pid);
      loop.reset();
      break;
    case 'stop':
      stopWindow().then(
        (stats) => send({ t: 'stats', stats }),
        (err: unknown) => send({ t: 'fatal', error: String(err) }),
      );
      break;
    case 'close':
      for (const s of sims) {
        s.closing = true;
        s.visitor?.terminate();
        s.agent?.terminate();
      }
      process.exit(0);
  }
});
// The coordinator went away (or was killed): nothing here outlives it.
process.on('disconnect', () => process.exit(0));
send({ t: 'ready' });
