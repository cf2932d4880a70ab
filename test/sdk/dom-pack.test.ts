/**
 * The packed form of DOM events (protocol/dom-pack.ts): the sender's Packer and the receiver's Unpacker
 * keep the same string table frame after frame, so any stream of events comes back as it was sent; and a
 * hostile sender's packed frames end in PackError (the viewer then resyncs), never in another exception,
 * a wrong string, or a frame that references expand past the inflate bound.
 */
import { describe, expect, it } from 'vitest';
import {
  EventType,
  PACK_MAX_ENTRIES,
  PACK_MAX_LENGTH,
  PackError,
  Packer,
  Unpacker,
  limits,
  type Attrs,
  type DomEvent,
  type SerializedNode,
} from '@tandem/protocol';

function rng(seed: number) {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}

const TAGS = ['div', 'span', 'a', 'p', 'li', 'svg', 'path', 'x-widget', 'my:tag', '#shadow'];
const NAMES = ['class', 'href', 'd', 'aria-hidden', ' value', ' selected', '__proto__', 'constructor', '1', 'data-x'];
const VALUES = ['card', 'card card-selected', 'true', '', 'x', 'M0 0L10 10Z'.repeat(20), 'ü€😀', '"quoted"\n', 'a'.repeat(PACK_MAX_LENGTH + 1)];

/** A random page fragment with the repeats real pages have. */
function tree(random: () => number, depth = 0): SerializedNode {
  const r = random();
  if (depth > 5 || r < 0.25) return random() < 0.5 ? VALUES[Math.floor(random() * VALUES.length)]! : `text ${Math.floor(random() * 50)}`;
  if (r < 0.3) return ['#', `comment ${Math.floor(random() * 5)}`];
  let attrs: Attrs | 0 = 0;
  if (random() < 0.7) {
    attrs = {};
    for (let i = Math.floor(random() * 4); i >= 0; i--)
      Object.defineProperty(attrs, NAMES[Math.floor(random() * NAMES.length)]!, {
        value: VALUES[Math.floor(random() * VALUES.length)]!,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  const children = Array.from({ length: Math.floor(random() * 4) }, () => tree(random, depth + 1));
  return [TAGS[Math.floor(random() * TAGS.length)]!, attrs, ...children];
}

function stream(seed: number, frames: number): DomEvent[][] {
  const random = rng(seed);
  const out: DomEvent[][] = [
    [
      [
        EventType.Snapshot,
        {
          url: 'https://a.test/',
          base: 'https://a.test/',
          title: 't',
          quirks: false,
          width: 800,
          height: 600,
          firstId: 2,
          root: ['html', 0, tree(random), tree(random)],
        },
      ],
      [EventType.Scroll, 1, 0, 40],
    ],
  ];
  for (let f = 1; f < frames; f++)
    out.push([
      [
        EventType.Mutations,
        {
          r: [5, 6],
          a: [[3, 0, 100 + f, tree(random)]],
          at: [
            [7, NAMES[f % NAMES.length]!, VALUES[f % VALUES.length]!],
            [8, 'class', null],
          ],
          tx: [[9, `typed ${f}`]],
        },
      ],
      [EventType.Input, 12, VALUES[f % VALUES.length]!],
    ]);
  return out;
}

/** What travels: the packed events as JSON text, parsed again as a receiver does. */
const wire = (packer: Packer, events: DomEvent[]) => JSON.parse(JSON.stringify(packer.pack(events))) as unknown;

describe('packed events', () => {
  it('a stream of frames comes back as sent, attribute names such as __proto__ included, and is smaller', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const frames = stream(seed, 12);
      const packer = new Packer();
      const unpacker = new Unpacker();
      let plain = 0;
      let packed = 0;
      for (const events of frames) {
        const json = JSON.stringify(packer.pack(events));
        plain += JSON.stringify(events).length;
        packed += json.length;
        const back = unpacker.unpack(JSON.parse(json));
        expect(back).toEqual(events);
        // Own keys only: "__proto__" is an attribute like any other, never the object's prototype.
        const root = back[0]![0] === EventType.Snapshot ? back[0]![1].root : null;
        if (root && root[1] !== 0) expect(Object.getPrototypeOf(root[1])).toBe(null);
      }
      expect(packed).toBeLessThan(plain);
    }
  });

  it('the table stops at PACK_MAX_ENTRIES on both sides alike', () => {
    const packer = new Packer();
    const unpacker = new Unpacker();
    const values = Array.from({ length: PACK_MAX_ENTRIES + 500 }, (_, i) => `v${i}`);
    const batch = (from: number, to: number): DomEvent[] => [
      [EventType.Mutations, { at: values.slice(from, to).map((v, i) => [i, 'class', v]) }],
    ];
    for (let i = 0; i < values.length; i += 10_000) expect(unpacker.unpack(wire(packer, batch(i, i + 10_000)))).toEqual(batch(i, i + 10_000));
    // Sent again: those that made it into the table travel as numbers, the ones past the bound as strings.
    // Entry 0 is "class", so v0 is entry 1 and the last value in is v(PACK_MAX_ENTRIES - 2).
    const again = wire(packer, batch(PACK_MAX_ENTRIES - 3, PACK_MAX_ENTRIES + 1)) as [number, { at: unknown[][] }][];
    expect(again[0]![1].at.map((c) => typeof c[2])).toEqual(['number', 'number', 'string', 'string']);
    expect(unpacker.unpack(again)).toEqual(batch(PACK_MAX_ENTRIES - 3, PACK_MAX_ENTRIES + 1));
  });
});

describe('a hostile sender', () => {
  const fresh = () => {
    const unpacker = new Unpacker();
    unpacker.unpack(wire(new Packer(), stream(3, 1)[0]!));
    return unpacker;
  };

  it.each([
    ['not a list', { a: 1 }],
    ['an index past the table', [[0, { url: '', root: [9999, 0] }]]],
    ['a negative index', [[0, { url: '', root: ['div', [-1, 'x']] }]]],
    ['a fractional index', [[0, { url: '', root: ['div', [0.5, 'x']] }]]],
    ['an object as a tag', [[0, { url: '', root: [{}, 0] }]]],
    ['attributes of odd length', [[0, { url: '', root: ['div', ['class']] }]]],
    ['attributes as an object', [[0, { url: '', root: ['div', { class: 'x' }] }]]],
    ['a text that is a number past the table', [[0, { url: '', root: ['div', 0, 7000] }]]],
    ['a node that is an object', [[0, { url: '', root: ['div', 0, {}] }]]],
    ['a misshapen text change', [[1, { tx: [[1]] }]]],
    ['a snapshot without a root', [[0, { url: '' }]]],
    ['additions that are not a list', [[1, { a: 'x' }]]],
    ['a misshapen addition', [[1, { a: [[1, 0, 2]] }]]],
    ['a misshapen attribute change', [[1, { at: [[1, 'class']] }]]],
    ['an attribute change naming a number past the table', [[1, { at: [[1, 1e9, 'x']] }]]],
  ])('%s: PackError', (_name, value) => {
    expect(() => fresh().unpack(value)).toThrow(PackError);
  });

  it('references cannot expand a frame past the inflate bound', () => {
    const unpacker = new Unpacker();
    const long = 'x'.repeat(PACK_MAX_LENGTH);
    unpacker.unpack([[1, { at: [[1, 'class', long]] }]]);
    // Entry 0 is "class", entry 1 the long value: each "1" stands for 256 characters, 131,082 of them for 32 MB and a bit.
    const refs = Array.from({ length: limits.maxInflatedFrameBytes / PACK_MAX_LENGTH + 10 }, (_, i) => [i, 0, 1]);
    expect(() => unpacker.unpack([[1, { at: refs }]])).toThrow(/expand/);
  });

  it('deep nesting is unpacked without recursion', () => {
    let node: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) node = ['div', 0, node];
    const out = new Unpacker().unpack([[0, { url: '', root: node }]]);
    let depth = 0;
    for (let n = (out[0] as [0, { root: SerializedNode }])[1].root; typeof n !== 'string'; n = n[2] as SerializedNode) depth++;
    expect(depth).toBe(100_000);
  });

  it('fuzz: random damage to packed frames ends in PackError or a result, never another exception', () => {
    const random = rng(11);
    let errors = 0;
    for (let round = 0; round < 300; round++) {
      const frames = stream(round + 100, 3);
      const packer = new Packer();
      const packed = frames.map((f) => wire(packer, f));
      const unpacker = new Unpacker();
      for (const value of packed) {
        const text = JSON.stringify(value);
        // Swap one number or string token for another kind of value.
        const tokens = [...text.matchAll(/-?\d+(\.\d+)?|"(?:[^"\\]|\\.)*"/g)];
        const hit = tokens[Math.floor(random() * tokens.length)];
        const spoiled = hit
          ? text.slice(0, hit.index) +
            ['99999', '-1', '0.5', '{}', '[]', 'null', '"x"', '0'][Math.floor(random() * 8)] +
            text.slice(hit.index + hit[0].length)
          : text;
        let parsed: unknown;
        try {
          parsed = JSON.parse(spoiled);
        } catch {
          continue; // not JSON any more: JSON.parse refuses it before unpacking, as in the viewer
        }
        try {
          unpacker.unpack(parsed);
        } catch (e) {
          expect(e).toBeInstanceOf(PackError);
          errors++;
          break; // a receiver drops the stream here until the next keyframe
        }
      }
    }
    expect(errors).toBeGreaterThan(0);
  });
});
