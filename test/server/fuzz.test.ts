/**
 * Fuzz: random and malformed input on every socket (/ws/visitor, /ws/agent,
 * /ws/presence, /ws/controller) and on every route of the OpenAPI document, for a fixed budget
 * of inputs and about 30 s.
 *
 * What it proves: every socket input is answered with a well-formed `error`, a
 * close with a 1xxx/4xxx code, or is ignored; no REST answer is a 5xx, every
 * 4xx is `{ code: 'TDM_…', message }`, and every status is one the OpenAPI document
 * lists for the route; the server — a child process, so a crash
 * shows as its exit — never exits and /healthz answers 200 after each phase;
 * and a bystander session relays byte-identical frames, in order, throughout,
 * and hears no error.
 *
 * The seed is printed; replay with  FUZZ_SEED=<n> npx vitest run test/server/fuzz.test.ts
 * A phase that ends the server fails, and the next phase starts a fresh one so
 * that it reports its own findings; the last test fails when any phase did.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameFlag, FrameType, PROTOCOL_VERSION, encodeFrame } from '@tandem/protocol';
import { serverEnv } from '../helpers/server.js';
import { connect, joinAsAgent, signIn, startVisitorSession, type Client } from '../helpers/clients.js';
import {
  makeRng,
  operations,
  restInput,
  socketInputs,
  type Auth,
  type Channel,
  type RestInput,
  type SocketInput,
} from '../helpers/fuzz-input.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now();
const REPLAY = `FUZZ_SEED=${SEED}`;
console.log(`fuzz: ${REPLAY} (set FUZZ_SEED to replay)`);

const BIN = 'packages/cli/bin/tandem.js';
const budget = {
  visitor: { inputs: 1500, sockets: 6, ms: 6000, roundMs: 12 },
  agent: { inputs: 1200, sockets: 5, ms: 5000, roundMs: 20 },
  presence: { inputs: 240, sockets: 4, ms: 3000, roundMs: 0 },
  // A controller may send ten messages a second: each round is an input and a probe.
  controller: { inputs: 240, sockets: 6, ms: 5000, roundMs: 220 },
  rest: { perOperation: 60, parallel: 6, ms: 6000 },
};
/** A phase after a crash first starts a fresh server (a few seconds; more on a loaded machine). */
const PHASE_TIMEOUT_MS = 50_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wsUrl = (url: string) => url.replace(/^http/, 'ws');

// ---- the server, as a child process ----------------------------------------

class ServerProcess {
  stdout = '';
  stderr = '';
  exit: { code: number | null; signal: string | null } | null = null;
  readonly exited: Promise<void>;
  url = '';

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly apiKey: string | null,
  ) {
    child.stdout!.on('data', (d) => (this.stdout += d));
    child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => ((this.exit = { code, signal }), resolve())));
  }

  /** `tandem key create` first (an API key for the REST phase), then `tandem start` on a free port. */
  static async start(): Promise<ServerProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-fuzz-'));
    const env = {
      ...process.env,
      // The fuzz's sessions come "from" other addresses through a proxy on loopback, so the bystander's start budget is untouched.
      ...serverEnv(dataDir, { TANDEM_TRUST_PROXY: '127.0.0.1' }),
    };
    const key = (await promisify(execFile)(process.execPath, [BIN, 'key', 'create', '--name', 'fuzz', '--admin'], { env })).stdout.trim();
    const server = new ServerProcess(spawn(process.execPath, [BIN, 'start'], { env }), dataDir, /^tdm_/.test(key) ? key : null);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = /Agent console:\s+(http:\/\/[^/\s]+)/.exec(server.stdout);
      if (found) return Object.assign(server, { url: found[1]! });
      if (server.exit || Date.now() > deadline) throw new Error(`the server did not start: ${server.stdout}\n${server.stderr}`);
      await sleep(50);
    }
  }

  async healthz(): Promise<number> {
    try {
      return (await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(5000) })).status;
    } catch {
      return -1;
    }
  }

  /** Kills the process by its pid and removes its data directory. */
  async stop(): Promise<void> {
    if (!this.exit && this.child.pid) {
      process.kill(this.child.pid, 'SIGTERM');
      await Promise.race([this.exited, sleep(5000)]);
      if (!this.exit) process.kill(this.child.pid, 'SIGKILL');
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// ---- the bystander: a healthy session that must keep working -------------------

const domFrame = (seq: number, body: unknown) =>
  Buffer.from(encodeFrame({ type: FrameType.Dom, flags: seq === 0 ? FrameFlag.Keyframe : 0, seq }, Buffer.from(JSON.stringify(body))));

class Bystander {
  readonly sent: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly visitor: Client,
    readonly agent: Client,
  ) {
    // A frame every 100 ms for as long as the file runs; some large, some with odd text.
    this.timer = setInterval(() => {
      if (this.visitor.ws.readyState !== this.visitor.ws.OPEN) return;
      const seq = this.sent.length;
      const text = seq % 25 === 24 ? 'x'.repeat(200_000) : `typed ${seq} ${'é字💥'.repeat(seq % 40)}`;
      const f = domFrame(seq, seq === 0 ? [[0, { bystander: true }]] : [[2, 5, text]]);
      this.sent.push(f);
      this.visitor.ws.send(f);
    }, 100);
  }

  static async start(url: string, cookie: string): Promise<Bystander> {
    const s = await startVisitorSession(url, 'Bystander');
    const agent = await joinAsAgent(url, cookie, s.code);
    await s.visitor.next((m) => m.t === 'resync');
    return new Bystander(s.visitor, agent);
  }

  /** Everything sent so far arrived at the agent, byte-identical and in order, and neither side heard an error. */
  async check(when: string): Promise<void> {
    const n = this.sent.length;
    const why = `${REPLAY}: the bystander after ${when}`;
    expect(this.visitor.ws.readyState, `${why}: visitor socket closed`).toBe(this.visitor.ws.OPEN);
    expect(this.agent.ws.readyState, `${why}: agent socket closed`).toBe(this.agent.ws.OPEN);
    await expect.poll(() => this.agent.binary.length, { timeout: 10_000, message: `${why}: frames missing` }).toBeGreaterThanOrEqual(n);
    // Only what was sent before the poll: the bystander keeps sending meanwhile.
    const firstBad = this.sent.slice(0, n).findIndex((f, i) => !f.equals(this.agent.binary[i]!));
    expect(firstBad, `${why}: frame ${firstBad} differs`).toBe(-1);
    expect(this.agent.binary.length, `${why}: extra frames`).toBeLessThanOrEqual(this.sent.length);
    expect(
      [...this.visitor.json, ...this.agent.json].filter((m) => m.t === 'error'),
      `${why}: errors`,
    ).toEqual([]);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

// ---- the world: server, admin, bystander; rebuilt when a phase killed the server -----

interface World {
  server: ServerProcess;
  cookie: string;
  bystander: Bystander;
  /** Sessions the fuzz started (never the bystander's): real ids for the REST phase. */
  sessionIds: string[];
  /** Inputs being answered now, by socket: what was in flight when the server exited. */
  inflight: Map<string, string>;
  /** What was in flight when the process exited (taken at its exit event). */
  atExit: string[];
  exitAt?: number;
  /** Inputs whose socket dropped without a close frame (1006), and when: suspects when the server exits. */
  dropped: { at: number; label: string }[];
  starts: number;
}

let current: World | null = null;
const dead: World[] = [];
/** Phases after which the server had exited. */
const crashes: string[] = [];

async function createWorld(): Promise<World> {
  const t0 = Date.now();
  const server = await ServerProcess.start();
  const cookie = await signIn(server.url);
  // Presence is off by default; the presence socket opens only once the site turns it on.
  const on = await fetch(`${server.url}/api/v1/sites/demo/settings`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ presence: true }),
  });
  expect(on.status).toBe(200);
  const bystander = await Bystander.start(server.url, cookie);
  console.log(`fuzz: server ${server.url} (pid ${server.child.pid}) and bystander ready in ${Date.now() - t0} ms`);
  const w: World = { server, cookie, bystander, sessionIds: [], inflight: new Map(), atExit: [], dropped: [], starts: 0 };
  void server.exited.then(() => {
    w.exitAt = Date.now();
    w.atExit = [...w.inflight].map(([slot, label]) => `[${slot}] ${label}`);
  });
  return w;
}

async function world(): Promise<World> {
  if (current && !current.server.exit) return current;
  if (current) {
    current.bystander.stop();
    dead.push(current);
  }
  current = await createWorld();
  return current;
}

/** The inputs whose socket dropped within a second of the server's exit. */
function suspects(w: World): string[] {
  return w.dropped
    .filter((d) => Math.abs(d.at - (w.exitAt ?? 0)) < 1000)
    .map((d) => d.label)
    .slice(0, 8);
}

/** After each phase: the process still runs, /healthz answers, the bystander relays. */
async function assertHealthy(w: World, phase: string): Promise<void> {
  await sleep(200); // an exit that is under way shows now
  if (w.server.exit) {
    crashes.push(phase);
    throw new Error(
      `${REPLAY}: the server process exited (code ${w.server.exit.code}, signal ${w.server.exit.signal}) during the ${phase} phase.\n` +
        `Inputs in flight when it exited: ${w.atExit.map((d) => `\n  ${d}`).join('') || ' none'}\n` +
        `Inputs whose socket dropped (1006) as it died: ${
          suspects(w)
            .map((d) => `\n  ${d}`)
            .join('') || ' none'
        }\n` +
        `Server stderr (tail):\n${w.server.stderr.slice(-1500)}`,
    );
  }
  expect(await w.server.healthz(), `${REPLAY}: /healthz after the ${phase} phase`).toBe(200);
  await w.bystander.check(`the ${phase} phase`);
}

// ---- sockets ------------------------------------------------------------------

type Answer = { errors: string[]; close: number | null; probe: boolean };

/** A socket that never throws on a late error event (the server may drop it at any time). */
async function open(url: string, origin: string, headers?: Record<string, string>): Promise<Client> {
  const c = await connect(url, origin, headers);
  c.ws.on('error', () => {});
  return c;
}

let probes = 0;
/** The message each channel refuses with a detail that names it, so its answer is recognisable. */
const probeFor = (channel: Channel, key: string) =>
  JSON.stringify({ t: channel === 'visitor' || channel === 'controller' ? 'end' : channel === 'agent' ? 'resync' : 'declineInvite', [key]: 1 });

/**
 * Sends one input and then a probe, and waits for the probe's error (messages are
 * handled in order, so everything the input caused has been said by then) or a close.
 */
async function round(c: Client, channel: Channel, input: SocketInput): Promise<Answer> {
  const key = `probe_${++probes}`;
  c.json.length = 0;
  c.ws.send(input.data, { binary: input.binary });
  c.ws.send(probeFor(channel, key));
  const probe = c
    .next((m) => m.t === 'error' && String(m.message).includes(`"${key}"`), 5000)
    .then(() => true)
    .catch(() => false);
  const closed = c.closed.then(() => false);
  const answered = await Promise.race([probe, closed]);
  // An input that costs the socket: wait for the close to learn its code.
  if (c.ws.readyState !== c.ws.OPEN) await Promise.race([c.closed, sleep(3000)]);
  const close = c.ws.readyState === c.ws.CLOSED ? (await c.closed).code : null;
  return { errors: c.json.filter((m) => m.t === 'error').map((m) => describeError(m)), close, probe: answered };
}

/** The code of a well-formed error message, or why it is not one. */
function describeError(m: any): string {
  return typeof m.code === 'string' && /^TDM_[A-Z_]+$/.test(m.code) && typeof m.message === 'string' && m.message.length > 0
    ? m.code
    : `MALFORMED ${JSON.stringify(m).slice(0, 200)}`;
}

/** What one phase saw: answers by input kind, and what would fail it. */
class Tally {
  readonly byKind = new Map<string, Map<string, number>>();
  readonly problems: string[] = [];
  readonly ignored = new Set<string>();
  sent = 0;

  record(input: SocketInput, a: Answer): void {
    this.sent++;
    const outcome = a.close !== null ? `close ${a.close}` : a.errors.length ? `error ${a.errors.join('+')}` : 'ignored';
    const counts = this.byKind.get(input.kind) ?? new Map<string, number>();
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    this.byKind.set(input.kind, counts);
    for (const e of a.errors) if (e.startsWith('MALFORMED')) this.problem(`${e} in answer to ${input.label}`);
    if (a.close !== null && !((a.close >= 1000 && a.close < 2000) || (a.close >= 4000 && a.close < 5000))) {
      this.problem(`close code ${a.close} in answer to ${input.label}`);
    }
    if (a.close === null && !a.probe) this.problem(`no answer to the probe after ${input.label}`);
    if (outcome === 'ignored' && input.kind.startsWith('proto') && this.ignored.size < 12) this.ignored.add(input.label);
  }

  problem(p: string): void {
    if (this.problems.length < 25) this.problems.push(p);
  }

  print(phase: string, ms: number): void {
    const lines = [...this.byKind].map(([kind, counts]) => `  ${kind.padEnd(16)} ${[...counts].map(([o, n]) => `${o}: ${n}`).join(', ')}`);
    console.log(`fuzz ${phase}: ${this.sent} inputs in ${ms} ms (${REPLAY})\n${lines.join('\n')}`);
    if (this.ignored.size)
      console.log(`fuzz ${phase}: Object.prototype names accepted without an answer (not a failure):\n  ${[...this.ignored].join('\n  ')}`);
  }
}

/** A visitor session for the fuzz, started from its own address (the server trusts X-Forwarded-For from its loopback proxy) so the bystander's start budget is untouched. */
async function startFuzzSession(w: World): Promise<{ sessionId: string; code: string; ticket: string; resumeToken: string }> {
  const n = ++w.starts;
  const res = await fetch(`${w.server.url}/api/v1/visitor/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: w.server.url, 'x-forwarded-for': `10.1.${n >> 8}.${n & 255}` },
    body: JSON.stringify({ siteKey: 'demo', identity: { name: `Fuzz ${n}` } }),
  });
  if (res.status !== 201) throw new Error(`session start answered ${res.status}`);
  const started = (await res.json()) as { sessionId: string; code: string; ticket: string; resumeToken: string };
  w.sessionIds.push(started.sessionId);
  return started;
}

/** The socket a slot sends on, opened (and re-opened) as the inputs require. */
interface Slot {
  name: string;
  /** A socket for the next input: fresh and without hello when the input is for before hello. */
  socket(beforeHello: boolean): Promise<Client>;
  /** Called with the answer: a closed socket is replaced next time; an ended session too. */
  after(a: Answer): void;
  close(): void;
}

async function hello(c: Client): Promise<void> {
  c.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
  const welcome = c.next((m) => m.t === 'welcome', 5000);
  welcome.catch(() => {});
  await Promise.race([welcome, c.closed.then(() => Promise.reject(new Error('closed before welcome')))]);
}

function visitorSlot(w: World, name: string): Slot {
  let session: Awaited<ReturnType<typeof startFuzzSession>> | null = null;
  let ticket: string | null = null;
  let c: Client | null = null;
  let ready = false;

  async function freshTicket(): Promise<string> {
    if (session && !ticket) {
      const res = await fetch(`${w.server.url}/api/v1/visitor/sessions/${session.sessionId}/resume`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: w.server.url },
        body: JSON.stringify({ resumeToken: session.resumeToken }),
      });
      if (res.ok) ticket = ((await res.json()) as { ticket: string }).ticket;
      else session = null; // ended
    }
    if (!session) ({ ticket } = session = await startFuzzSession(w));
    const t = ticket!;
    ticket = null;
    return t;
  }

  return {
    name,
    async socket(beforeHello) {
      if (c && !beforeHello && ready && c.ws.readyState === c.ws.OPEN) return c;
      c?.ws.close();
      c = await open(`${wsUrl(w.server.url)}/ws/visitor?ticket=${await freshTicket()}`, w.server.url);
      ready = !beforeHello;
      if (ready) await hello(c);
      return c;
    },
    after(a) {
      if (a.close === 4000) session = null;
      // A socket that got its input before hello is not used again: it may or may not have said hello.
      if (a.close !== null || !ready) {
        c?.ws.close();
        c = null;
      }
    },
    close: () => c?.ws.close(),
  };
}

function agentSlot(w: World, name: string): Slot {
  let session: Awaited<ReturnType<typeof startFuzzSession>> | null = null;
  let visitor: Client | null = null;
  let c: Client | null = null;
  let ready = false;

  /** A session with a visitor present, in control mode, so that actions reach a page. */
  async function ensureSession() {
    if (session) return session;
    session = await startFuzzSession(w);
    visitor = await open(`${wsUrl(w.server.url)}/ws/visitor?ticket=${session.ticket}`, w.server.url);
    await hello(visitor);
    visitor.sendJson({ t: 'mode', mode: 'control' });
    return session;
  }

  async function ticket(): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const s = await ensureSession();
      const res = await fetch(`${w.server.url}/api/v1/sessions/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: w.cookie },
        body: JSON.stringify({ code: s.code }),
      });
      if (res.ok) return ((await res.json()) as { ticket: string }).ticket;
      if (attempt > 2) throw new Error(`join answered ${res.status}`);
      visitor?.ws.close();
      session = null;
    }
  }

  return {
    name,
    async socket(beforeHello) {
      if (c && !beforeHello && ready && c.ws.readyState === c.ws.OPEN) return c;
      c?.ws.close();
      c = await open(`${wsUrl(w.server.url)}/ws/agent?ticket=${await ticket()}`, w.server.url);
      ready = !beforeHello;
      if (ready) await hello(c);
      return c;
    },
    after(a) {
      if (a.close === 4000) {
        visitor?.ws.close();
        session = null;
      }
      if (a.close !== null || !ready) {
        c?.ws.close();
        c = null;
      }
    },
    close() {
      c?.ws.close();
      visitor?.ws.close();
    },
  };
}

/** Presence allows five messages a burst: each socket takes two inputs (and their probes), then a fresh one opens. */
function presenceSlot(w: World, name: string, tally: Tally): Slot {
  let c: Client | null = null;
  let used = 0;
  return {
    name,
    async socket() {
      if (c && used < 2 && c.ws.readyState === c.ws.OPEN) {
        used++;
        return c;
      }
      if (c) await checkVisitorList(w, tally);
      c?.ws.close();
      c = await open(`${wsUrl(w.server.url)}/ws/presence?site=demo`, w.server.url);
      used = 1;
      return c;
    },
    after(a) {
      if (a.close !== null) c = null;
    },
    close: () => c?.ws.close(),
  };
}

/** A controller (the fuzz's admin API key) that follows a session of the fuzz, so that end and setMode reach a live one. */
function controllerSlot(w: World, name: string): Slot {
  let session: Awaited<ReturnType<typeof startFuzzSession>> | null = null;
  let c: Client | null = null;
  let ready = false;

  async function join(client: Client): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      session ??= await startFuzzSession(w);
      client.sendJson({ t: 'join', sessionId: session.sessionId });
      const answer = await client.next((m) => m.t === 'joined' || m.t === 'error', 5000);
      if (answer.t === 'joined') return;
      session = null; // it ended (timed out without a visitor, or ended by an input)
    }
    throw new Error('could not join a fuzz session');
  }

  return {
    name,
    async socket(beforeHello) {
      if (c && !beforeHello && ready && c.ws.readyState === c.ws.OPEN) return c;
      c?.ws.close();
      c = await open(`${wsUrl(w.server.url)}/ws/controller`, w.server.url, { authorization: `Bearer ${w.server.apiKey}` });
      ready = !beforeHello;
      if (ready) {
        await hello(c);
        await join(c);
        c.json.length = 0;
      }
      return c;
    },
    after(a) {
      if (a.close === 4000) session = null;
      if (a.close !== null || !ready) {
        c?.ws.close();
        c = null;
      }
    },
    close: () => c?.ws.close(),
  };
}

/** What the presence sockets said is listed to agents: the list must still serialize. */
async function checkVisitorList(w: World, tally: Tally): Promise<void> {
  const res = await fetch(`${w.server.url}/api/v1/sites/demo/visitors?q=${encodeURIComponent(['', 'a', '__proto__'][tally.sent % 3]!)}`, {
    headers: { cookie: w.cookie },
  });
  if (res.status !== 200) tally.problem(`GET /api/v1/sites/demo/visitors answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
}

/** Runs a channel's inputs over `sockets` slots until the budget or the time is spent, or the server is gone. */
async function fuzzChannel(channel: Channel, phaseSeed: number): Promise<void> {
  const w = await world();
  const b = budget[channel];
  const tally = new Tally();
  const inputs = socketInputs(channel, makeRng(phaseSeed), b.inputs);
  const started = Date.now();
  const deadline = started + b.ms;
  const makeSlot = (i: number) =>
    channel === 'visitor'
      ? visitorSlot(w, `visitor ${i}`)
      : channel === 'agent'
        ? agentSlot(w, `agent ${i}`)
        : channel === 'presence'
          ? presenceSlot(w, `presence ${i}`, tally)
          : controllerSlot(w, `controller ${i}`);

  // Input i goes to slot i % sockets: each slot's sequence is the same on a replay.
  await Promise.all(
    Array.from({ length: b.sockets }, async (_, s) => {
      const slot = makeSlot(s);
      let failures = 0;
      for (let i = s; i < inputs.length && Date.now() < deadline && !w.server.exit; i += b.sockets) {
        const input = inputs[i]!;
        const t0 = Date.now();
        try {
          const c = await slot.socket(input.beforeHello);
          w.inflight.set(slot.name, input.label);
          const a = await round(c, channel, input);
          w.inflight.delete(slot.name);
          if (a.close === 1006) w.dropped.push({ at: Date.now(), label: `[${slot.name}] ${input.label}` });
          tally.record(input, a);
          slot.after(a);
          failures = 0;
        } catch (err) {
          slot.after({ errors: [], close: -1, probe: false });
          await Promise.race([w.server.exited, sleep(300)]);
          if (w.server.exit) break;
          if (++failures > 3) {
            tally.problem(`[${slot.name}] could not open a socket: ${(err as Error).message}`);
            break;
          }
        }
        await sleep(Math.max(0, b.roundMs - (Date.now() - t0)));
      }
      slot.close();
    }),
  );
  tally.print(channel, Date.now() - started);
  await assertHealthy(w, channel);
  expect(tally.problems, `${REPLAY}: ${channel} sockets`).toEqual([]);
}

// ---- REST -------------------------------------------------------------------------

async function send(w: World, input: RestInput): Promise<{ status: number; text: string } | { error: string }> {
  const headers = { ...input.headers };
  if (input.auth === 'cookie') headers.cookie = w.cookie;
  if (input.auth === 'apiKey') headers.authorization = `Bearer ${w.server.apiKey}`;
  const body = typeof input.body === 'string' || input.body === undefined ? input.body : new Uint8Array(input.body);
  try {
    const res = await fetch(w.server.url + input.url, {
      method: input.method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return { error: `${(err as Error).message} ${cause instanceof Error ? cause.message : ''}` };
  }
}

/** A 4xx must say what went wrong the one way every client understands. */
function isTandemError(text: string): boolean {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    return typeof body.code === 'string' && /^TDM_[A-Z_]+$/.test(body.code) && typeof body.message === 'string';
  } catch {
    return false;
  }
}

async function fuzzRest(phaseSeed: number): Promise<void> {
  const w = await world();
  const rng = makeRng(phaseSeed);
  const docRes = await fetch(`${w.server.url}/api/v1/openapi.json`);
  expect(docRes.status).toBe(200);
  const ops = operations((await docRes.json()) as { paths: Record<string, Record<string, unknown>> });
  const auths: Auth[] = w.server.apiKey ? ['none', 'cookie', 'apiKey', 'bogus'] : ['none', 'cookie', 'bogus'];
  const real = [...w.sessionIds.slice(0, 20), 'demo', '123456'];
  // Interleaved by operation, so that a time cut still reaches every route.
  const inputs: RestInput[] = [];
  for (let i = 0; i < budget.rest.perOperation; i++)
    for (const op of ops) inputs.push(restInput(rng, op, auths[i % auths.length]!, real, w.server.url));

  const tally = new Map<string, Map<string, number>>();
  /** Problems by kind (status, route, error code): the first example of each, and how many. */
  const problems = new Map<string, { example: string; count: number }>();
  const problem = (kind: string, example: string) => {
    const p = problems.get(kind) ?? { example, count: 0 };
    p.count++;
    problems.set(kind, p);
  };
  const started = Date.now();
  const deadline = started + budget.rest.ms;
  let next = 0;
  let sent = 0;
  await Promise.all(
    Array.from({ length: budget.rest.parallel }, async () => {
      while (next < inputs.length && Date.now() < deadline && !w.server.exit) {
        const input = inputs[next++]!;
        const answer = await send(w, input);
        sent++;
        const op = ops.find((o) => o.method === input.method && matches(o.path, input.url));
        const route = `${input.method} ${op?.path ?? '(no route)'}`;
        const counts = tally.get(route) ?? new Map<string, number>();
        const outcome = 'error' in answer ? 'no answer' : String(answer.status);
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
        tally.set(route, counts);
        if ('error' in answer) {
          problem(`no answer: ${route}`, `${answer.error} to ${input.label}`);
        } else if (answer.status >= 500) {
          problem(`${answer.status}: ${route}`, `${input.label} → ${answer.text.slice(0, 200)}`);
        } else if (answer.status >= 400 && !isTandemError(answer.text)) {
          const code = /"code":"(\w+)"/.exec(answer.text)?.[1] ?? 'no code';
          problem(`${answer.status} without {code: TDM_…, message} (${code})`, `${input.label} → ${answer.text.slice(0, 200)}`);
        } else if (op && !op.statuses.includes(String(answer.status))) {
          problem(`${answer.status} not in the document: ${route}`, `${input.label} → ${answer.text.slice(0, 200)}`);
        }
      }
    }),
  );
  console.log(
    `fuzz rest: ${sent} requests in ${Date.now() - started} ms (${REPLAY})\n` +
      [...tally].map(([route, counts]) => `  ${route.padEnd(48)} ${[...counts].map(([s, n]) => `${s}: ${n}`).join(', ')}`).join('\n'),
  );
  await assertHealthy(w, 'rest');
  const summary = [...problems].map(([kind, p]) => `${kind} ×${p.count}, e.g. ${p.example}`);
  expect(summary, `${REPLAY}: REST answers`).toEqual([]);
}

/** Whether a concrete URL is one of the document's path templates. */
function matches(template: string, url: string): boolean {
  const path = url.split('?')[0]!;
  return new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]*')}$`).test(path);
}

// ---- the phases ---------------------------------------------------------------------

beforeAll(async () => {
  await world();
}, 60_000);

afterAll(async () => {
  for (const w of [...dead, current]) {
    w?.bystander.stop();
    await w?.server.stop();
  }
});

describe(`fuzz (${REPLAY})`, () => {
  it('visitor sockets answer random and malformed messages with errors or a close', () => fuzzChannel('visitor', SEED + 1), PHASE_TIMEOUT_MS);
  it('agent sockets answer random and malformed messages with errors or a close', () => fuzzChannel('agent', SEED + 2), PHASE_TIMEOUT_MS);
  it('presence sockets answer random and malformed messages with errors or a close', () => fuzzChannel('presence', SEED + 3), PHASE_TIMEOUT_MS);
  it(
    'controller sockets answer random and malformed messages with errors or a close',
    () => fuzzChannel('controller', SEED + 5),
    PHASE_TIMEOUT_MS,
  );
  it(
    'every REST route answers random requests below 500, 4xx as {code, message}, each status a documented one',
    () => fuzzRest(SEED + 4),
    PHASE_TIMEOUT_MS,
  );

  it('the server never exited, answers /healthz, and the bystander relayed every frame', async () => {
    expect(crashes, `${REPLAY}: the server process exited during these phases`).toEqual([]);
    const w = await world();
    expect(w.server.exit).toBeNull();
    expect(await w.server.healthz()).toBe(200);
    await w.bystander.check('all phases');
  });
});
