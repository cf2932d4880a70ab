/**
 * Random and hostile input for the fuzz test (test/server/fuzz.test.ts): a
 * seeded PRNG, and generators of socket messages and REST requests. Everything
 * here is a pure function of the seed, so a FUZZ_SEED replays the same inputs.
 */
import { FrameFlag, FrameType, KEYS, MODES, encodeFrame, limits } from '@tandem/protocol';

// ---- seeded randomness ------------------------------------------------------

export interface Rng {
  /** A float in [0, 1). */
  (): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: tiny, fast, good enough to pick inputs; the same seed gives the same sequence. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  next.int = (n) => Math.floor(next() * n);
  next.pick = (items) => items[next.int(items.length)]!;
  next.chance = (p) => next() < p;
  return next;
}

// ---- hostile values ---------------------------------------------------------

/** constructor, __proto__, __defineGetter__, toString, hasOwnProperty, ... */
export const PROTO_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

const ODD_STRINGS = [
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '-0',
  '0x1f',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '\u0000',
  '\ud800',
  '\u202e\u200b',
  '💥'.repeat(50),
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '%00',
  '${7*7}',
];
const ODD_NUMBERS = [-1, 0, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324, 1e21];

/** A string of `n` characters, from a small alphabet that includes multi-byte ones. */
export function longString(rng: Rng, n: number): string {
  const alphabet = rng.pick(['x', 'ab', 'é', '字', '\u0000', '"\\']);
  return alphabet.repeat(Math.ceil(n / alphabet.length)).slice(0, n);
}

/** An object with `key` as an own, enumerable property, even when the key is "__proto__". */
export function withKey(obj: object, key: string, value: unknown): Record<string, unknown> {
  return Object.defineProperty({ ...obj }, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Something of a wrong type, size or shape for whatever field it lands in. */
export function hostileValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 1 ? 7 : 10)) {
    case 0:
      return rng.pick(PROTO_NAMES);
    case 1:
      return rng.pick(ODD_STRINGS);
    case 2:
      return rng.pick(ODD_NUMBERS);
    case 3:
      return rng.pick([null, true, false]);
    case 4:
      return longString(rng, rng.pick([201, 2049, 5000, 15_000]));
    case 5:
      return rng.pick([[], {}, [[]], [1, 2, 3]]);
    case 6:
      return rng.int(1_000_000_000) - 500_000_000;
    case 7:
      return withKey({}, rng.pick(PROTO_NAMES), hostileValue(rng, depth + 1));
    case 8:
      return Array.from({ length: rng.int(5) + 1 }, () => hostileValue(rng, depth + 1));
    default:
      return nested(rng.int(60) + 2, rng.pick(PROTO_NAMES));
  }
}

/** `{"k":{"k":...}}`, `depth` levels deep. */
function nested(depth: number, key: string): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = withKey({}, key, v);
  return v;
}

// ---- socket messages ----------------------------------------------------------

export type Channel = 'visitor' | 'agent' | 'presence' | 'controller';

/** One thing sent on a socket. `label` is what a report shows (short). */
export interface SocketInput {
  kind: string;
  data: string | Buffer;
  /** Sent as a binary frame (else as a text frame, even when `data` is a Buffer: invalid UTF-8). */
  binary: boolean;
  /** Sent on a fresh socket before its hello. */
  beforeHello: boolean;
  label: string;
}

const visitorId = (rng: Rng) => 'v' + rng.int(1e12).toString(36).padStart(10, '0');

const actionTemplates = (rng: Rng): Record<string, () => Record<string, unknown>> => ({
  highlight: () => ({ k: 'highlight', node: rng.int(100) + 1 }),
  click: () => ({ k: 'click', node: rng.int(100) + 1, x: rng.int(500), y: rng.int(500), double: rng.chance(0.5) }),
  type: () => ({ k: 'type', node: rng.int(100) + 1, text: 'hello' }),
  key: () => ({ k: 'key', node: 2, key: rng.pick(KEYS), shift: rng.chance(0.5) }),
  select: () => ({ k: 'select', node: 3, indexes: [0, 2] }),
  check: () => ({ k: 'check', node: 4, checked: true }),
  scroll: () => ({ k: 'scroll', node: 1, x: 0, y: rng.int(5000) }),
  navigate: () => ({ k: 'navigate', url: '/demo/other.html' }),
});

const identity = (rng: Rng) => ({ name: rng.pick(['Ann', 'Bo']), email: 'a@example.test', uniqueId: 'u-' + rng.int(1000) });

/** Valid messages of each channel: what the mutations start from. */
export function validMessage(channel: Channel, rng: Rng): Record<string, unknown> {
  const mode = rng.pick(MODES);
  const hello = { t: 'hello', versions: [1] };
  if (channel === 'visitor') {
    return rng.pick([
      () => hello,
      () => ({ t: 'end', left: rng.chance(0.5) }),
      () => ({ t: 'mode', mode }),
      () => ({ t: 'modeDeclined', agentId: 'agent-1', mode }),
      () => ({ t: 'actionResult', agentId: 'agent-1', id: rng.int(100), ok: false, reason: 'masked' }),
      () => ({ t: 'identity', identity: identity(rng) }),
    ])();
  }
  if (channel === 'agent') {
    const actions = actionTemplates(rng);
    return rng.pick([
      () => hello,
      () => ({ t: 'pointer', x: rng.int(800), y: rng.int(600) }),
      () => ({ t: 'pointerLeave' }),
      () => ({ t: 'resync' }),
      () => ({ t: 'leave', end: rng.chance(0.3) }),
      () => ({ t: 'action', id: rng.int(1000), a: actions[rng.pick(Object.keys(actions))]!() }),
      () => ({ t: 'requestMode', mode }),
    ])();
  }
  if (channel === 'controller') {
    return rng.pick([
      () => hello,
      () => ({ t: 'join', code: String(100_000 + rng.int(900_000)) }),
      () => ({ t: 'join', sessionId: 'session-' + rng.int(1000) }),
      () => ({ t: 'setMode', mode }),
      () => ({ t: 'setMode', mode, name: rng.pick(['Support', 'Sam']) }),
      // Rare: each one ends the slot's session, and a new one must be started.
      () => (rng.chance(0.2) ? { t: 'end' } : { t: 'setMode', mode }),
    ])();
  }
  return rng.pick([
    () => ({
      t: 'here',
      visitorId: visitorId(rng),
      identity: identity(rng),
      url: 'http://127.0.0.1/demo/',
      title: 'Demo',
      platform: { browser: 'Firefox', os: 'Linux', viewport: '800x600', language: 'en', timeZone: 'UTC' },
    }),
    () => ({ t: 'declineInvite', token: 'tok-' + rng.int(1000) }),
  ])();
}

/** Paths to the object-valued places inside a message, where a key can be added. */
function objectPaths(msg: Record<string, unknown>): string[][] {
  const out: string[][] = [[]];
  for (const [k, v] of Object.entries(msg)) if (v && typeof v === 'object' && !Array.isArray(v)) out.push([k]);
  return out;
}

function leafPaths(msg: Record<string, unknown>, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const [k, v] of Object.entries(msg)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push([...prefix, k], ...leafPaths(v as Record<string, unknown>, [...prefix, k]));
    else out.push([...prefix, k]);
  }
  return out;
}

/** A deep copy of `msg` with the value at `path` replaced (or, with `add`, a key added to the object there). */
function edit(
  msg: Record<string, unknown>,
  path: string[],
  f: (obj: Record<string, unknown>, key: string) => Record<string, unknown>,
): Record<string, unknown> {
  const [head, ...rest] = path;
  if (rest.length === 0) return f(msg, head!);
  return { ...msg, [head!]: edit(msg[head!] as Record<string, unknown>, rest, f) };
}

const setAt = (msg: Record<string, unknown>, path: string[], value: unknown) => edit(msg, path, (obj, key) => withKey(obj, key, value));
const addKey = (msg: Record<string, unknown>, path: string[], key: string, value: unknown) =>
  path.length === 0 ? withKey(msg, key, value) : edit(msg, path, (obj, k) => withKey(obj, k, withKey(obj[k] as object, key, value)));
const dropAt = (msg: Record<string, unknown>, path: string[]) =>
  edit(msg, path, (obj, key) => {
    const copy = { ...obj };
    delete copy[key];
    return copy;
  });

const json = (kind: string, value: unknown): Omit<SocketInput, 'beforeHello'> => {
  const data = JSON.stringify(value) ?? 'null';
  return { kind, data, binary: false, label: data };
};

/** One JSON-ish text message for `channel`, by one of several strategies. */
function textInput(channel: Channel, rng: Rng): Omit<SocketInput, 'beforeHello'> {
  const base = validMessage(channel, rng);
  const proto = rng.pick(PROTO_NAMES);
  switch (rng.int(12)) {
    case 0:
      return json('proto-type', { t: proto });
    case 1:
      return json('proto-type', withKey(validMessage(channel, rng), 't', proto));
    case 2:
      return json('proto-key', addKey(base, rng.pick(objectPaths(base)), proto, rng.pick([{}, 'x', 1, null])));
    case 3: {
      // The discriminants the validators look up in tables: t, a.k, mode.
      if (channel === 'agent') return json('proto-kind', { t: 'action', id: 1, a: { k: proto, node: 1 } });
      if (channel === 'visitor') return json('proto-value', { t: rng.pick(['mode', 'modeDeclined']), agentId: 'x', mode: proto });
      return json('proto-value', setAt(base, rng.pick(leafPaths(base)), proto));
    }
    case 4:
    case 5:
    case 6:
      return json('mutated', setAt(base, rng.pick(leafPaths(base)), hostileValue(rng)));
    case 7:
      return json('dropped', dropAt(base, rng.pick(leafPaths(base))));
    case 8:
      return json('container', rng.pick([[base], null, 'end', 42, [], setAt(base, [rng.pick(Object.keys(base))], [])]));
    case 9:
      return json('hello', { t: 'hello', versions: rng.pick([[99], [], [0], [1e9], [-1], Array(17).fill(1), '1', [1, '1'], null]) });
    case 10: {
      const raw = rng.pick([
        '',
        ' ',
        '{',
        '{"t":',
        '{"t":"end"',
        'null',
        '[]',
        '"x"',
        '{"t":"end"}}',
        '{"t":"end",}',
        '\u0000',
        '{"t":"\\ud800"}',
      ]);
      return { kind: 'bad-json', data: raw, binary: false, label: JSON.stringify(raw) };
    }
    default: {
      const size = rng.pick([limits.maxControlBytes - 40, limits.maxControlBytes + 1, 40_000]);
      const depth = rng.int(3000) + 500;
      const data = rng.chance(0.5)
        ? JSON.stringify({ ...base, pad: longString(rng, size) }).slice(0, size)
        : JSON.stringify({ t: base.t }).slice(0, -1) + ',"deep":' + '['.repeat(depth) + ']'.repeat(depth) + '}';
      return { kind: 'large', data, binary: false, label: `${data.slice(0, 40)}… (${data.length} chars)` };
    }
  }
}

/** Random bytes, truncated or damaged DOM frames, invalid UTF-8 in a text frame, empty messages. */
function byteInput(channel: Channel, rng: Rng): Omit<SocketInput, 'beforeHello'> {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rng.int(256)));
  const frame = (flags: number, seq: number, payload: Buffer) => Buffer.from(encodeFrame({ type: FrameType.Dom, flags, seq }, payload));
  const choice = rng.int(channel === 'visitor' ? 9 : 4);
  const bin = (kind: string, data: Buffer) => ({
    kind,
    data,
    binary: true,
    label: `${kind} ${data.subarray(0, 12).toString('hex')}… (${data.length} bytes)`,
  });
  switch (choice) {
    case 0:
      return bin('random-bytes', bytes(rng.int(64) + 1));
    case 1:
      return bin('empty', Buffer.alloc(0));
    case 2: {
      const data = Buffer.concat([Buffer.from('{"t":"'), bytes(8), Buffer.from([0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from('"}')]);
      return { kind: 'invalid-utf8', data, binary: false, label: `invalid UTF-8 text ${data.toString('hex')}` };
    }
    case 3:
      return { kind: 'empty', data: '', binary: false, label: 'empty text' };
    case 4:
      return bin('truncated-frame', frame(FrameFlag.Keyframe, 0, Buffer.from('[]')).subarray(0, rng.int(6)));
    case 5:
      // 6: Gzip and Deflate together, which no frame may be.
      return bin('bad-flags', frame(rng.pick([6, 8, 0xff]), 0, Buffer.from('[]')));
    case 6:
      return bin('seq', frame(rng.chance(0.3) ? FrameFlag.Keyframe : 0, rng.pick([0, 1, 2, 2 ** 32 - 1, rng.int(1000)]), bytes(rng.int(200))));
    case 7:
      return rng.chance(0.5)
        ? bin('gzip-lie', frame(FrameFlag.Gzip | FrameFlag.Keyframe, 0, bytes(100)))
        : bin('deflate-lie', frame(FrameFlag.Deflate | FrameFlag.Keyframe, 0, bytes(100)));
    default:
      // Rare on purpose: each one is 4 MB on the wire and costs the socket.
      return rng.chance(0.15)
        ? bin('over-limit', Buffer.concat([frame(FrameFlag.Keyframe, 0, Buffer.alloc(0)), Buffer.alloc(limits.maxDomFrameBytes, 0x20)]))
        : bin('dom-frame', frame(FrameFlag.Keyframe, 0, Buffer.from(JSON.stringify([[0, hostileValue(rng)]]))));
  }
}

/** `count` inputs for one channel; the same seed gives the same list. */
export function socketInputs(channel: Channel, rng: Rng, count: number): SocketInput[] {
  const out: SocketInput[] = [];
  for (let i = 0; i < count; i++) {
    const input = rng.chance(0.25) ? byteInput(channel, rng) : textInput(channel, rng);
    out.push({ ...input, beforeHello: channel !== 'presence' && rng.chance(0.08), label: input.label.slice(0, 160) });
  }
  return out;
}

// ---- REST requests -------------------------------------------------------------

export interface Operation {
  method: string;
  /** As in the OpenAPI document: /api/v1/sessions/{id} */
  path: string;
  query: string[];
  body: boolean;
  /** Properties of the JSON body schema, when there is one. */
  bodySchema?: { properties?: Record<string, { type?: string; anyOf?: unknown[] }> };
  /** The statuses the document says the operation answers. */
  statuses: string[];
}

export type Auth = 'none' | 'cookie' | 'apiKey' | 'bogus';

export interface RestInput {
  auth: Auth;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  label: string;
}

/** The operations of an OpenAPI document. */
export function operations(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params: { in: string; name: string }[] = op.parameters ?? [];
      const content = op.requestBody?.content?.['application/json'];
      ops.push({
        method: method.toUpperCase(),
        path,
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: Boolean(content),
        bodySchema: content?.schema,
        statuses: Object.keys(op.responses ?? {}),
      });
    }
  }
  return ops;
}

/** encodeURIComponent, except that a lone surrogate (which it refuses) becomes the bytes of one: invalid UTF-8 on the wire. */
function encode(s: string): string {
  return s
    .split(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/)
    .map(encodeURIComponent)
    .join('%ED%A0%80');
}

/** A hostile value as text; objects whose toString is hostile too are written as JSON. */
const text = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

const HOSTILE_SEGMENTS = [
  '__proto__',
  'constructor',
  'prototype',
  '..%2f..%2fetc%2fpasswd',
  '..%2F',
  '%2e%2e',
  '%00',
  '%',
  '%E0%A4%A',
  '%ff%fe',
  '%C0%AF',
  '.',
  '..',
  ' ',
  '%20',
  'null',
  'undefined',
  '-1',
  '1e999',
  'NaN',
  '%3Cscript%3E',
  '\u202e',
];

/** A value for a path parameter: real, hostile, or very long. Raw percent sequences stay raw. */
function pathValue(rng: Rng, real: readonly string[]): string {
  switch (rng.int(5)) {
    case 0:
      return encode(rng.pick(real));
    case 1:
    case 2:
      return rng.pick(HOSTILE_SEGMENTS).replace('\u202e', encode('\u202e'));
    case 3:
      return encode(longString(rng, rng.pick([65, 101, 1000, 6000])));
    default:
      return encode(text(hostileValue(rng)).slice(0, 300));
  }
}

function queryString(rng: Rng, names: readonly string[]): string {
  const pairs: string[] = [];
  for (let i = rng.int(4); i > 0; i--) {
    const key = rng.pick([...names, ...names, ...PROTO_NAMES, '__proto__[admin]', 'constructor[prototype][x]', 'limit[]', '']);
    const value = rng.pick([text(hostileValue(rng)).slice(0, 3000), rng.pick(ODD_STRINGS), '1', '500', '501', '0', 'true', 'false', 'yes']);
    pairs.push(`${key.includes('[') ? key : encode(key)}=${encode(value)}`);
  }
  return pairs.length ? '?' + pairs.join('&') : '';
}

/** A body that fits the schema's property names, with plausible or hostile values. */
function schemaBody(rng: Rng, schema: Operation['bodySchema'], real: readonly string[]): Record<string, unknown> {
  let body: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    if (rng.chance(0.2)) continue;
    const plausible =
      prop.type === 'boolean'
        ? rng.chance(0.5)
        : prop.type === 'object'
          ? { selectors: ['.x'], name: 'Ann' }
          : prop.type === 'array'
            ? ['.secret']
            : prop.anyOf
              ? rng.pick(MODES)
              : name === 'siteKey'
                ? 'demo'
                : rng.pick(real);
    body[name] = rng.chance(0.6) ? plausible : hostileValue(rng);
  }
  if (rng.chance(0.3)) body = withKey(body, rng.pick(PROTO_NAMES), hostileValue(rng));
  return body;
}

/** Bytes for a request body, and the content type that claims to describe them. */
function bodyFor(rng: Rng, op: Operation, real: readonly string[]): { body?: string | Buffer; type?: string; label: string } {
  const asJson = (v: unknown, label: string) => ({
    body: JSON.stringify(v),
    type: 'application/json',
    label: `${label} ${JSON.stringify(v)?.slice(0, 120)}`,
  });
  switch (rng.int(op.body ? 10 : 5)) {
    case 0:
      return { label: 'no body' };
    case 1:
      return asJson(withKey({}, rng.pick(PROTO_NAMES), rng.pick([{ admin: true }, { prototype: { polluted: 1 } }, 'x'])), 'proto body');
    case 2:
      return asJson(hostileValue(rng), 'hostile body');
    case 3: {
      const raw = rng.pick(['{', '{"a":', '[', 'nul', '{"a":1}}', '', '\u0000', '{"__proto__":', "{'a':1}"]);
      return { body: raw, type: 'application/json', label: `bad JSON ${JSON.stringify(raw)}` };
    }
    case 4: {
      const type = rng.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/xml',
        'application/json-patch+json',
        '',
        'application/octet-stream',
        '*/*',
        'application/json, text/plain',
      ]);
      return {
        body: rng.pick(['a=1&__proto__[x]=1', '{"email":"x"}', '--x\r\n\r\n--x--', '<a/>', Buffer.from([0xff, 0xfe, 0, 1])]),
        type,
        label: `content-type ${JSON.stringify(type)}`,
      };
    }
    case 5: {
      const size = rng.pick([60 * 1024, 64 * 1024 - 20, 64 * 1024 + 1, 100 * 1024]);
      const body = JSON.stringify({ ...schemaBody(rng, op.bodySchema, real), pad: 'x'.repeat(size) });
      return { body, type: 'application/json', label: `large body (${body.length} bytes)` };
    }
    default:
      return asJson(schemaBody(rng, op.bodySchema, real), 'schema body');
  }
}

const BOGUS_AUTH: Record<string, string>[] = [
  { authorization: 'Bearer tdm_' + 'x'.repeat(40) },
  { authorization: 'Bearer ' + 'x'.repeat(4000) },
  { authorization: 'Bearer __proto__' },
  { authorization: 'Basic Og==' },
  { cookie: 'tandem_agent=__proto__' },
  { cookie: 'tandem_agent=eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.' },
  { cookie: '__proto__=1; constructor=2; tandem_agent=' },
];

const HOSTILE_HEADERS: [string, string][] = [
  ['x-forwarded-for', '__proto__'],
  ['x-forwarded-for', 'constructor, 1.2.3.4'],
  ['x-forwarded-for', 'not an address'],
  ['origin', 'null'],
  ['origin', 'https://evil.example'],
  ['origin', '__proto__'],
  ['accept', 'text/html'],
  ['accept-encoding', 'gzip;q=__proto__'],
  ['content-length-bogus', '1'],
];

/** One request to `op`. `real` holds ids that exist (sessions of the fuzz), to reach past the look-ups. */
export function restInput(rng: Rng, op: Operation, auth: Auth, real: readonly string[], serverUrl: string): RestInput {
  const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'key' && rng.chance(0.4) ? 'demo' : pathValue(rng, real)));
  const url = path + (op.query.length || rng.chance(0.2) ? queryString(rng, op.query) : '');
  const headers: Record<string, string> = {
    // Sessions started here come from many addresses (the server trusts X-Forwarded-For), so they spend no one's start budget.
    'x-forwarded-for': `10.9.${rng.int(250)}.${rng.int(250)}`,
  };
  if (auth === 'bogus') Object.assign(headers, rng.pick(BOGUS_AUTH));
  if (path.startsWith('/api/v1/visitor') && rng.chance(0.7)) headers.origin = serverUrl;
  if (rng.chance(0.15)) {
    const [name, value] = rng.pick(HOSTILE_HEADERS);
    headers[name] = value;
  }
  const { body, type, label } = op.method === 'GET' ? { label: 'no body' } : bodyFor(rng, op, real);
  if (type !== undefined) headers['content-type'] = type;
  return { auth, method: op.method, url, headers, body, label: `${op.method} ${url.slice(0, 150)} [${auth}] ${label}` };
}
