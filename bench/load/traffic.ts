/**
 * What a simulated visitor sends, in the protocol's own DOM frame format
 * (packages/protocol encodeFrame): one seeded, realistic snapshot as a gzipped
 * keyframe, then batches of changes, pointer moves and scrolls, coalesced per
 * tick as the capture coalesces them per animation frame. Deterministic for a seed.
 */
import { gzipSync } from 'node:zlib';
import {
  EventType,
  FrameFlag,
  FrameType,
  encodeFrame,
  type DomEvent,
  type SerializedElement,
  type SerializedNode,
  type Snapshot,
} from '@tandem/protocol';
import { prng } from '../prng.js';

/** Below this the SDK sends a payload as it is (packages/sdk/src/session/frames.ts). */
const GZIP_FROM_BYTES = 16 * 1024;

const SYLLABLES = 'ka lo mi ne ra su ti vo pe da an er in on us el ar is or ex st re ch th ou ie'.split(' ');

function wordsOf(rand: () => number) {
  const word = () => {
    let w = '';
    const n = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    return w;
  };
  // A page's vocabulary is small and repeats, which is what makes text compress: draw from a fixed lexicon.
  const lexicon = Array.from({ length: 600 }, word);
  return (count: number) => Array.from({ length: count }, () => lexicon[Math.floor(rand() * lexicon.length)]).join(' ');
}

export interface BenchSnapshot {
  /** The keyframe as sent: header, then the gzipped JSON of [[Snapshot, ...]]. */
  frame: Uint8Array;
  rawBytes: number;
  /** Nodes in the snapshot: changes address ids 2 .. 1 + nodeCount. */
  nodeCount: number;
}

/**
 * A shop's product listing of about `rawTarget` bytes of snapshot JSON: header and navigation, a
 * search form, product cards with pictures, prices and buttons, a footer, and an inline stylesheet
 * (the capture inlines the page's CSS).
 */
export function buildSnapshot(seed: number, rawTarget: number): BenchSnapshot {
  const rand = prng(seed);
  const words = wordsOf(rand);
  const int = (n: number) => Math.floor(rand() * n);
  const css = Array.from(
    { length: 120 },
    (_, i) =>
      `.c${i} .${words(1)}{margin:${int(24)}px ${int(24)}px;color:#${int(0xffffff).toString(16).padStart(6, '0')};font-size:${12 + int(10)}px}`,
  ).join('\n');
  const head: SerializedElement = [
    'head',
    0,
    ['meta', { charset: 'utf-8' }],
    ['title', 0, 'Shop: ' + words(3)],
    ['style', { ' css': css }],
    ['link', { rel: 'icon', href: '/favicon.ico' }],
  ];
  const nav: SerializedElement = [
    'nav',
    { class: 'top-nav', 'aria-label': 'Main' },
    ['ul', 0, ...Array.from({ length: 12 }, (): SerializedNode => ['li', 0, ['a', { href: `/c/${words(1)}` }, words(2)]])],
  ];
  const form: SerializedElement = [
    'form',
    { class: 'search', action: '/search' },
    ['label', { for: 'q' }, 'Search'],
    ['input', { id: 'q', name: 'q', type: 'search', ' value': '' }],
    [
      'select',
      { name: 'sort' },
      ...Array.from({ length: 5 }, (_, i): SerializedNode => ['option', { value: String(i), ...(i ? {} : { ' selected': '1' }) }, words(2)]),
    ],
    ['button', { type: 'submit', class: 'btn btn-primary' }, 'Go'],
  ];
  // Filled below, in place: the tree holds this very array.
  const cards: SerializedElement = ['ul', { class: 'cards' }];
  const body: SerializedElement = [
    'body',
    { class: 'listing' },
    ['header', { class: 'site-header' }, ['a', { href: '/', class: 'logo' }, words(2)], nav, form],
    ['main', { id: 'main' }, ['h1', 0, words(4)], cards],
  ];
  const footer: SerializedElement = [
    'footer',
    { class: 'site-footer' },
    ...Array.from({ length: 4 }, (): SerializedNode => [
      'ul',
      0,
      ...Array.from({ length: 6 }, (): SerializedNode => ['li', 0, ['a', { href: `/p/${words(1)}` }, words(2)]]),
    ]),
  ];
  const snapshot: Snapshot = {
    url: 'https://shop.example/list',
    base: 'https://shop.example/list',
    title: 'Shop',
    quirks: false,
    width: 1280,
    height: 800,
    firstId: 2,
    root: ['html', { lang: 'en' }, head, body],
  };
  // Cards until the JSON reaches its target; the footer goes last.
  let raw = JSON.stringify([[EventType.Snapshot, snapshot]]).length;
  while (raw < rawTarget) {
    const id = int(100_000);
    const card: SerializedElement = [
      'li',
      { class: `card c${int(120)}`, 'data-id': String(id) },
      [
        'picture',
        0,
        ['source', { srcset: `/img/${id}-2x.webp 2x, /img/${id}.webp 1x`, type: 'image/webp' }],
        ['img', { src: `/img/${id}.jpg`, alt: words(3), width: '240', height: '180', loading: 'lazy' }],
      ],
      ['h3', 0, ['a', { href: `/p/${id}` }, words(5)]],
      ['p', { class: 'desc' }, words(18 + int(20))],
      [
        'div',
        { class: 'price-row' },
        ['span', { class: 'price' }, `$${int(500)}.${String(int(100)).padStart(2, '0')}`],
        ['span', { class: 'stock' }, `${int(30)} left`],
      ],
      ['button', { type: 'button', class: 'btn add', 'data-sku': String(id) }, 'Add to cart'],
    ];
    (cards as SerializedNode[]).push(card);
    raw += JSON.stringify(card).length + 1;
  }
  (body as SerializedNode[]).push(footer);
  const json = Buffer.from(JSON.stringify([[EventType.Snapshot, snapshot]] satisfies DomEvent[]));
  return {
    frame: encodeFrame({ type: FrameType.Dom, flags: FrameFlag.Keyframe | FrameFlag.Gzip, seq: 0 }, gzipSync(json)),
    rawBytes: json.length,
    nodeCount: countNodes(snapshot.root),
  };
}

function countNodes(node: SerializedNode): number {
  if (typeof node === 'string' || node[0] === '#') return 1;
  let n = 1;
  for (let i = 2; i < node.length; i++) n += countNodes(node[i] as SerializedNode);
  return n;
}

/** One visitor's stream of small frames after its keyframe: what is due at a tick goes in one frame. */
export class ChangeStream {
  private seq = 1;
  private readonly rand: () => number;
  private readonly words: (n: number) => string;
  private x = 400;
  private y = 300;
  private scrollY = 0;

  constructor(
    seed: number,
    private readonly nodeCount: number,
  ) {
    this.rand = prng(seed);
    this.words = wordsOf(this.rand);
  }

  /** A keyframe was sent (seq 0): the changes after it count from 1 again. */
  restart(): void {
    this.seq = 1;
  }

  private id(): number {
    return 2 + Math.floor(this.rand() * this.nodeCount);
  }

  /** The DOM events of one tick: a change (text, attribute, typing), the pointer, a scroll, as due. */
  events(change: boolean, pointer: boolean, scroll: boolean): DomEvent[] {
    const out: DomEvent[] = [];
    if (change) {
      const r = this.rand();
      if (r < 0.4) out.push([EventType.Input, this.id(), this.words(1 + Math.floor(this.rand() * 3))]);
      else if (r < 0.8)
        out.push([EventType.Mutations, { tx: [[this.id(), this.words(3)]], at: [[this.id(), 'class', `card is-${this.words(1)}`]] }]);
      else
        out.push([
          EventType.Mutations,
          { a: [[this.id(), 0, 100_000 + this.seq, ['div', { class: 'toast', role: 'status' }, this.words(8)]]], r: [this.id()] },
        ]);
    }
    if (scroll) {
      this.scrollY = Math.max(0, this.scrollY + Math.round((this.rand() - 0.4) * 600));
      out.push([EventType.Scroll, 1, 0, this.scrollY]);
    }
    if (pointer) {
      this.x = Math.min(1279, Math.max(0, this.x + Math.round((this.rand() - 0.5) * 80)));
      this.y = Math.min(799, Math.max(0, this.y + Math.round((this.rand() - 0.5) * 60)));
      out.push([EventType.Pointer, this.x, this.y]);
    }
    return out;
  }

  /** The frame for `events`, with the next sequence number; `seq` is returned to match it at the agent. */
  frame(events: DomEvent[]): { seq: number; bytes: Uint8Array } {
    const json = Buffer.from(JSON.stringify(events));
    const gz = json.length >= GZIP_FROM_BYTES;
    const seq = this.seq++;
    return { seq, bytes: encodeFrame({ type: FrameType.Dom, flags: gz ? FrameFlag.Gzip : 0, seq }, gz ? gzipSync(json) : json) };
  }
}

/** Bytes a client's WebSocket frame takes on the wire: header (2, 4 or 10 bytes) plus the 4-byte mask every client frame carries. */
export function wireBytes(payload: number): number {
  return payload + 2 + (payload > 65_535 ? 8 : payload > 125 ? 2 : 0) + 4;
}
