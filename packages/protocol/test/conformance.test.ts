/**
 * Conformance fixtures: the wire format by example, so that changing it is a
 * visible decision (a fixture changes in the same commit) and a new message
 * cannot ship without one.
 *
 *   fixtures/<channel>/<direction>/<t>[.<variant>][.<label>].json
 *       One control message per file, in canonical form: exactly the text frame
 *       the wire carries, JSON.stringify(message), then one "\n". Every object's
 *       keys are in the order its schema declares them. <direction> is the
 *       server's point of view, as in the AsyncAPI document: `in` is what a
 *       client sends, `out` what the server sends; the bus is `bus/peer`.
 *       Messages that carry one of several shapes have a file per shape:
 *       `action.<k>` (agent actions), `event.<name>` (session events).
 *   fixtures/frames/<name>.bin + <name>.json
 *       A binary DOM frame, byte for byte, and its description: the header and
 *       the DomEvent[] the payload carries (JSON.stringify(description, null, 2) + "\n").
 *       The .bin files are written by write-frames.ts, by hand, never by the tests.
 *   fixtures/invalid/<channel>-<direction>.<case>.json
 *       {direction, problem, message}: a message its channel's validator must
 *       refuse, with the exact problem it must say.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { constants, gunzipSync, inflateRawSync } from 'node:zlib';
import { Parser, type Input } from '@asyncapi/parser';
import Ajv from 'ajv';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { EventType, FrameFlag, FrameType, encodeFrame, framePayload, readFrameHeader, type DomEvent, type FrameHeader } from '../src/index.js';
import {
  agentActions,
  agentToServer,
  asyncApiDocument,
  busMessages,
  channels,
  controllerToServer,
  inkKinds,
  inkShownKinds,
  messageValidator,
  presenceToServer,
  serverToAgent,
  serverToController,
  serverToPresence,
  serverToVisitor,
  sessionEvents,
  visitorToServer,
  type MessageTable,
  type NestedTable,
} from '../src/schema/index.js';

const root = new URL('./fixtures/', import.meta.url);
const read = (path: string): Buffer => readFileSync(new URL(path, root));
const list = (dir: string): string[] => (existsSync(new URL(dir, root)) ? readdirSync(new URL(dir, root)).sort() : []);

// ---- the tables --------------------------------------------------------------

/** As schema/index.ts (and the server's outbound check) look inside: an action by `k`, a session event by `name`. */
const action: NestedTable = { field: 'a', key: 'k', table: agentActions };
const event: NestedTable = { field: null, key: 'name', table: sessionEvents };
const ink: NestedTable = { field: 'a', key: 'k', table: inkKinds };
const inkShown: NestedTable = { field: 'a', key: 'k', table: inkShownKinds };

interface Direction {
  /** Folder under fixtures/, and (with "." for "/") the AsyncAPI message id prefix. */
  dir: string;
  table: MessageTable;
  nested: Record<string, NestedTable>;
}

const directions: Direction[] = [
  { dir: 'visitor/in', table: visitorToServer, nested: {} },
  { dir: 'visitor/out', table: serverToVisitor, nested: { action, ink } },
  { dir: 'agent/in', table: agentToServer, nested: { action, ink } },
  { dir: 'agent/out', table: serverToAgent, nested: { ink: inkShown } },
  { dir: 'presence/in', table: presenceToServer, nested: {} },
  { dir: 'presence/out', table: serverToPresence, nested: {} },
  { dir: 'controller/in', table: controllerToServer, nested: {} },
  { dir: 'controller/out', table: serverToController, nested: {} },
  { dir: 'bus/peer', table: busMessages, nested: { event } },
];
const byDir = new Map(directions.map((d) => [d.dir, { ...d, validate: messageValidator(d.table, d.nested) }]));

interface Fixture {
  file: string;
  t: string;
  variant: string | null;
}

/** `<t>[.<variant>][.<label>].json`: the variant part only for messages with nested shapes. */
function fixturesOf({ dir, nested }: Direction): Fixture[] {
  return list(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const [t = '', ...rest] = f.slice(0, -'.json'.length).split('.');
      return { file: `${dir}/${f}`, t, variant: Object.hasOwn(nested, t) ? (rest[0] ?? '') : null };
    });
}

const problemOf = (r: { ok: true } | { ok: false; problem: string }) => (r.ok ? null : r.problem);

// ---- walking a value along its schema ------------------------------------------

interface Node {
  type?: unknown;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
}

/** A union's branch, named by its discriminant where it has one (`k`, `name`). */
const branchName = (branch: Node, i: number): string => {
  const props = branch.properties ?? {};
  for (const key of ['t', 'k', 'name']) {
    const c = (props[key] as { const?: unknown } | undefined)?.const;
    if (typeof c === 'string') return c;
  }
  return String(i);
};

/** Every property a schema declares, as paths: "/a|click/double", "/agents[]/name". */
function declaredPaths(schema: Node, path = '', out = new Set<string>()): Set<string> {
  schema.anyOf?.forEach((b, i) => declaredPaths(b, `${path}|${branchName(b, i)}`, out));
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    out.add(`${path}/${k}`);
    declaredPaths(s, `${path}/${k}`, out);
  }
  if (schema.items) declaredPaths(schema.items, `${path}[]`, out);
  return out;
}

/** The paths a value fills in, and whether each of its objects lists its keys in declaration order. */
function walk(schema: Node, value: unknown, path: string, seen: Set<string>, disorder: string[]): void {
  if (schema.anyOf) {
    const i = schema.anyOf.findIndex((b) => Value.Check(b as TSchema, value));
    if (i >= 0) walk(schema.anyOf[i]!, value, `${path}|${branchName(schema.anyOf[i]!, i)}`, seen, disorder);
    return;
  }
  if (schema.properties && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const declared = Object.keys(schema.properties).filter((k) => keys.includes(k));
    if (keys.join() !== declared.join()) disorder.push(`${path || '/'}: keys ${keys.join(',')} where the schema says ${declared.join(',')}`);
    for (const k of declared) {
      seen.add(`${path}/${k}`);
      walk(schema.properties[k]!, (value as Record<string, unknown>)[k], `${path}/${k}`, seen, disorder);
    }
  }
  if (schema.items && Array.isArray(value)) for (const item of value) walk(schema.items, item, `${path}[]`, seen, disorder);
}

// ---- control messages ------------------------------------------------------------

describe('conformance fixtures: control messages', () => {
  it('cover every table a channel or the bus declares', () => {
    const expected: [string, MessageTable][] = [
      ...Object.entries(channels).flatMap(([id, c]): [string, MessageTable][] => [
        [`${id}/in`, c.receive],
        [`${id}/out`, c.send],
      ]),
      ['bus/peer', busMessages],
    ];
    for (const [dir, table] of expected) expect(byDir.get(dir)?.table, `fixtures for ${dir}`).toBe(table);
    // And nothing else sits in fixtures/: a folder of fixtures no table reads would go unchecked.
    const folders = list('').flatMap((c) =>
      statSync(new URL(c, root)).isDirectory() ? (c === 'frames' || c === 'invalid' ? [] : list(`${c}/`).map((d) => `${c}/${d}`)) : [c],
    );
    expect(folders.sort()).toEqual([...byDir.keys()].sort());
  });

  it('have a file for every message, and for every shape of a nested one', () => {
    const missing: string[] = [];
    for (const d of directions) {
      const files = new Set(fixturesOf(d).map((f) => f.file));
      for (const t of Object.keys(d.table)) {
        const inner = d.nested[t];
        const wanted = inner ? Object.keys(inner.table).map((v) => `${d.dir}/${t}.${v}.json`) : [`${d.dir}/${t}.json`];
        missing.push(...wanted.filter((f) => !files.has(f)));
      }
    }
    expect(missing, 'fixtures to write (see the comment at the top of conformance.test.ts)').toEqual([]);
  });

  for (const d of directions) {
    const { validate } = byDir.get(d.dir)!;
    const fixtures = fixturesOf(d);

    describe(d.dir, () => {
      it.each(fixtures.map((f) => [f.file, f] as const))('%s', (_, { file, t, variant }) => {
        expect(Object.hasOwn(d.table, t), `${file}: no message "${t}" in ${d.dir}`).toBe(true);
        const bytes = read(file);
        const value: unknown = JSON.parse(bytes.toString('utf8'));
        expect(value).toMatchObject({ t });
        if (variant !== null) {
          const { field, key, table } = d.nested[t]!;
          expect(Object.hasOwn(table, variant), `${file}: no ${key} "${variant}"`).toBe(true);
          const part = field === null ? value : (value as Record<string, unknown>)[field];
          expect(part, `${file}: the ${key} its name says`).toMatchObject({ [key]: variant });
        }
        expect(problemOf(validate(value))).toBeNull();
        // Canonical: the wire text frame itself, then a newline.
        expect(Buffer.from(`${JSON.stringify(value)}\n`).equals(bytes), `${file} is not JSON.stringify(value) + "\\n"`).toBe(true);
        const disorder: string[] = [];
        walk(d.table[t] as Node, value, '', new Set(), disorder);
        expect(disorder).toEqual([]);
      });

      it('fill in every field, optional or nested, in at least one fixture of each message', () => {
        const unfilled: string[] = [];
        for (const t of Object.keys(d.table)) {
          const schema = d.table[t] as Node;
          const seen = new Set<string>();
          for (const f of fixtures.filter((x) => x.t === t)) walk(schema, JSON.parse(read(f.file).toString('utf8')), '', seen, []);
          unfilled.push(...[...declaredPaths(schema)].filter((p) => !seen.has(p)).map((p) => `${t}: ${p}`));
        }
        expect(unfilled).toEqual([]);
      });
    });
  }
});

// ---- messages that must be refused ------------------------------------------------

interface Invalid {
  direction: string;
  problem: string;
  message: unknown;
}

const invalid: [file: string, bytes: Buffer][] = list('invalid/')
  .filter((f) => f.endsWith('.json'))
  .map((f) => [`invalid/${f}`, read(`invalid/${f}`)] as const);

describe('conformance fixtures: refused messages', () => {
  it.each(invalid)('%s', (file, bytes) => {
    const { direction, problem, message } = JSON.parse(bytes.toString('utf8')) as Invalid;
    expect(file.startsWith(`invalid/${direction.replace('/', '-')}.`), `${file} names its direction`).toBe(true);
    expect(Buffer.from(`${JSON.stringify(JSON.parse(bytes.toString('utf8')))}\n`).equals(bytes), `${file} is not canonical`).toBe(true);
    const d = byDir.get(direction);
    expect(d, `${file}: no direction ${direction}`).toBeDefined();
    expect(d!.validate(message)).toEqual({ ok: false, problem });
  });

  it('include the hostile cases for every direction a server validates', () => {
    const files = new Set(invalid.map(([f]) => f));
    const cases = ['t-toString', 't-__proto__', 'key-__proto__', 'key-constructor', 'too-long', 'wrong-type'];
    const wanted = [
      ...['visitor-in', 'agent-in', 'presence-in', 'controller-in', 'bus-peer'].flatMap((d) => cases.map((c) => `invalid/${d}.${c}.json`)),
      'invalid/agent-in.action-toString.json',
      'invalid/bus-peer.event-toString.json',
    ];
    expect(wanted.filter((f) => !files.has(f))).toEqual([]);
  });

  it('take no name from Object.prototype for a message, in any table', () => {
    for (const { dir, validate: check } of byDir.values()) {
      for (const name of Object.getOwnPropertyNames(Object.prototype)) {
        expect(problemOf(check(JSON.parse(`{"t":${JSON.stringify(name)}}`))), `${dir}: ${name}`).toBe('unknown message type');
      }
    }
  });
});

// ---- binary DOM frames --------------------------------------------------------------

interface FrameDescription {
  header: FrameHeader;
  events: DomEvent[];
  /** A deflate piece that is not a keyframe comes after this frame, in its stream's context. */
  after?: string;
}

/** The deflate pieces of a frame's stream, from its keyframe to the frame itself. */
function deflateStream(name: string): Buffer[] {
  const { after } = description(name);
  const own = Buffer.from(framePayload(new Uint8Array(read(`frames/${name}.bin`))));
  return [...(after ? deflateStream(after) : []), own];
}

const frames = list('frames/')
  .filter((f) => f.endsWith('.bin'))
  .map((f) => f.slice(0, -'.bin'.length));

describe('conformance fixtures: DOM frames', () => {
  it('include every kind of frame and event', () => {
    expect(frames).toEqual(
      expect.arrayContaining([
        'keyframe',
        'keyframe-gzip',
        'keyframe-deflate',
        'mutations',
        'mutations-deflate',
        'input',
        'scroll',
        'viewport',
        'pointer',
        'snapshot-end',
        'focus',
      ]),
    );
    // Every description has its bytes.
    expect(list('frames/').filter((f) => f.endsWith('.json') && !frames.includes(f.slice(0, -'.json'.length)))).toEqual([]);
    const types = new Set(frames.flatMap((name) => description(name).events.map((e) => e[0])));
    expect([...types].sort()).toEqual(Object.values(EventType).sort());
  });

  it.each(frames)('%s', (name) => {
    const bytes = new Uint8Array(read(`frames/${name}.bin`));
    const text = read(`frames/${name}.json`).toString('utf8');
    const { header, events } = description(name);
    expect(`${JSON.stringify(JSON.parse(text), null, 2)}\n`).toBe(text);

    expect(readFrameHeader(bytes)).toEqual(header);
    expect(header.type).toBe(FrameType.Dom);
    const payload = framePayload(bytes);
    const gzip = (header.flags & FrameFlag.Gzip) !== 0;
    let json = gzip ? new Uint8Array(gunzipSync(payload)) : payload;
    if (header.flags & FrameFlag.Deflate) {
      // A piece ends in a sync flush; the stream from its keyframe inflates as one, and this piece gives what follows the others.
      expect(Array.from(payload.subarray(-4))).toEqual([0, 0, 0xff, 0xff]);
      const pieces = deflateStream(name);
      const whole = inflateRawSync(Buffer.concat(pieces), { finishFlush: constants.Z_SYNC_FLUSH });
      const before = pieces.length > 1 ? inflateRawSync(Buffer.concat(pieces.slice(0, -1)), { finishFlush: constants.Z_SYNC_FLUSH }).length : 0;
      json = new Uint8Array(whole.subarray(before));
      // Its stream: a keyframe, or the deflate piece numbered just before it.
      const after = description(name).after;
      if (after) expect(description(after).header).toMatchObject({ flags: expect.any(Number), seq: header.seq - 1 });
      if (after) expect(description(after).header.flags & FrameFlag.Deflate).toBe(FrameFlag.Deflate);
      else expect(header.flags & FrameFlag.Keyframe).toBe(FrameFlag.Keyframe);
    }
    // The payload is exactly the JSON of the events (never re-compressed here: gzip's bytes depend on the zlib build).
    expect(new TextDecoder().decode(json)).toBe(JSON.stringify(events));
    expect(JSON.parse(new TextDecoder().decode(json))).toEqual(events);
    expect(Buffer.from(encodeFrame(header, payload)).equals(Buffer.from(bytes))).toBe(true);

    // A keyframe restarts the stream: sequence 0, and the payload starts with the snapshot.
    if (header.flags & FrameFlag.Keyframe) {
      expect(header.seq).toBe(0);
      expect(events[0]?.[0]).toBe(EventType.Snapshot);
    } else {
      expect(events.some((e) => e[0] === EventType.Snapshot)).toBe(false);
    }
  });
});

function description(name: string): FrameDescription {
  return JSON.parse(read(`frames/${name}.json`).toString('utf8')) as FrameDescription;
}

// ---- the AsyncAPI document ----------------------------------------------------------

describe('the AsyncAPI document', () => {
  it('parses without errors, lists every message, and its payloads accept the fixtures', async () => {
    const { document, diagnostics } = await new Parser().parse(asyncApiDocument('localhost:8080') as Input);
    expect(diagnostics.filter((x) => Number(x.severity) === 0 /* error */).map((x) => `${x.path.join('.')}: ${x.message}`)).toEqual([]);
    expect(document).toBeDefined();

    // An independent JSON Schema implementation reads the document as its consumers would.
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const [id, c] of Object.entries(channels)) {
      const channel = document!.channels().get(id);
      expect(channel?.address(), id).toBe(c.address);
      const messages = new Map(
        channel!
          .messages()
          .all()
          .map((m) => [m.id(), m]),
      );
      for (const dir of ['in', 'out'] as const) {
        const d = byDir.get(`${id}/${dir}`)!;
        for (const t of Object.keys(dir === 'in' ? c.receive : c.send)) {
          const message = messages.get(`${id}_${dir}_${t}`);
          expect(message, `${id}_${dir}_${t} in the document`).toBeDefined();
          const check = ajv.compile(message!.payload()!.json());
          for (const f of fixturesOf(d).filter((x) => x.t === t)) {
            const value: unknown = JSON.parse(read(f.file).toString('utf8'));
            expect(check(value) ? null : ajv.errorsText(check.errors), f.file).toBeNull();
          }
        }
      }
      // The document's payloads refuse what the validators refuse (when the message type is one of the channel's).
      for (const [file, bytes] of invalid) {
        const { direction, message } = JSON.parse(bytes.toString('utf8')) as Invalid;
        const t = (message as { t?: unknown }).t;
        const [channelId, dir] = direction.split('/');
        if (channelId !== id || typeof t !== 'string' || !Object.hasOwn(dir === 'in' ? c.receive : c.send, t)) continue;
        const check = ajv.compile(messages.get(`${id}_${dir}_${t}`)!.payload()!.json());
        expect(check(message), `${file} accepted by the document`).toBe(false);
      }
    }
  });
});
