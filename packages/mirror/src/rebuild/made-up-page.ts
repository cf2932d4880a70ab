/**
 * The made-up page of the viewer's warm-up (warm.ts): generic markup, nothing
 * of any visitor's page, sent as capture sends a large snapshot.
 */
import { EventType, PROP, type DomEvent, type SerializedElement, type SerializedNode } from '@tandem/protocol';
import { idsBelow } from './depth.js';

const WORDS = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'a', 'of', 'the', '&', 'consectetur', 'adipiscing', 'elit', '<b>'];

function words(i: number, n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) s += (k ? ' ' : '') + WORDS[(i * 7 + k * 3) % WORDS.length];
  return s;
}

/** One block of made-up content: the kinds of elements, attributes, texts and form state a real page has. */
function card(i: number): SerializedElement {
  const ws = '\n      ';
  return [
    'article',
    { class: `item item-${i % 5}`, id: `c${i}`, 'data-rank': String(i), role: 'listitem' },
    ws,
    ['h2', { class: 'title' }, ['a', { href: `/p/${i}?from=list`, title: words(i, 3) }, words(i, 4)]],
    ws,
    ['img', { alt: words(i, 2), width: '120', height: '80', loading: 'lazy', class: 'thumb' }],
    ws,
    ['p', { class: 'text' }, words(i, 12), ['strong', 0, words(i + 1, 2)], words(i + 2, 6), ['em', 0, 'note'], '.'],
    ws,
    ['ul', { class: 'tags' }, ['li', 0, words(i, 1)], ['li', { class: 'on' }, words(i + 3, 2)], ['li', 0, words(i + 5, 1)]],
    ws,
    ['#', ` block ${i} `],
    [
      'svg',
      { viewBox: '0 0 16 16', width: '16', height: '16', 'aria-hidden': 'true' },
      ['path', { d: 'M8 1l2 5h5l-4 3 2 6-5-4-5 4 2-6-4-3h5z', fill: 'currentColor' }],
    ],
    [
      'form',
      { class: 'row', action: '/send' },
      ['label', { for: `q${i}` }, 'Count'],
      [
        'select',
        { id: `q${i}`, name: 'count' },
        ...[0, 1, 2].map((k) => ['option', { value: String(k), [PROP.selected]: k === 1 ? '1' : '' }, String(k)] as SerializedElement),
      ],
      ['input', { type: 'checkbox', name: 'agree', [PROP.checked]: i % 2 ? '1' : '' }],
      ['input', { type: 'text', name: 'note', placeholder: 'Note', [PROP.value]: words(i, 2) }],
      ['button', { type: 'button', class: 'btn', style: `color: #333; margin: ${i % 4}px` }, 'Send'],
    ],
    '\n    ',
  ];
}

/**
 * Its address: a name that never resolves (.invalid), https so a page's `base-uri http: https:` (the console's CSP)
 * lets the mirror's <base> be. Nothing in the page loads from it.
 */
const ADDRESS = 'https://made-up.invalid/';

/** A made-up snapshot as capture sends a large one: a keyframe whose <body> stays open, then slices added to it. */
export function madeUpSnapshot(cards: number, perSlice: number): DomEvent[][] {
  const body: SerializedElement = ['body', { class: 'page' }];
  const root: SerializedElement = [
    'html',
    { lang: 'en' },
    ['head', 0, ['title', 0, 'Made-up page'], ['style', { [PROP.css]: '.item { margin: 4px; } .btn:hover { color: red; }' }]],
    body,
  ];
  const firstId = 2;
  // Capture numbers in pre-order: the body is the root's last node so far.
  let next = firstId + 1 + idsBelow(root);
  const bodyId = next - 1;
  const batches: DomEvent[][] = [];
  for (let i = 0; i < Math.min(perSlice, cards); i++) body.push(card(i));
  next += idsBelow(body);
  batches.push([[EventType.Snapshot, { url: ADDRESS, base: ADDRESS, title: '', quirks: false, width: 1280, height: 800, firstId, root }]]);
  for (let from = perSlice; from < cards; from += perSlice) {
    const adds: [number, number, number, SerializedNode][] = [];
    for (let i = from; i < Math.min(from + perSlice, cards); i++) {
      const c = card(i);
      adds.push([bodyId, 0, next, c]);
      next += 1 + idsBelow(c);
    }
    batches.push([[EventType.Mutations, { a: adds }]]);
  }
  batches.push([[EventType.SnapshotEnd]]);
  return batches;
}
