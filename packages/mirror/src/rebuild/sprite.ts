/**
 * External SVG sprites for a mirror on another origin. The visitor's page
 * sends, for a `<use href="file.svg#id">`, the element it shows and those it
 * refers to (PROP.sprite). They are built like any other part of the page
 * (the caller's `build` applies every rule of sanitize.ts), in a `<defs>`
 * right after the `<use>`, with their ids prefixed so they meet none of the
 * page's, and the `<use>` points at the local copy. When the `<use>` is
 * removed, its copy stays behind, unrendered, until the next snapshot.
 */
import { cutTooDeep, depthOf } from './depth.js';
import type { SerializedElement, SerializedNode } from '@tandem/protocol';
import { dom } from './dom.js';

// As in builder.ts, which imports this file.
const NS = { svg: 'http://www.w3.org/2000/svg', xlink: 'http://www.w3.org/1999/xlink' };
const MIRROR_ATTR = 'data-tandem-mirror';

/** Largest sprite value the rebuild parses (the visitor's page bounds it lower). */
const MAX_SPRITE_CHARS = 2 * 1024 * 1024;
const PREFIX = 'tandem-sprite-';

let counter = 0;
/** What each `<use>` pointed at before the rebuild pointed it at its local copy, and that copy. */
const original = new WeakMap<Element, string>();
const copies = new WeakMap<Element, Element>();

export type BuildSvg = (doc: Document, node: SerializedNode) => Node;

export function inlineSprite(use: Element, value: string, build: BuildSvg): void {
  if (dom.localName(use) !== 'use' || use.namespaceURI !== NS.svg || value.length > MAX_SPRITE_CHARS) return;
  const newline = value.indexOf('\n');
  if (newline < 0) return;
  const href = value.slice(0, newline);
  const hash = href.indexOf('#');
  if (hash < 0) return;
  const attr = dom.getAttribute(use, 'href') !== null ? 'href' : 'xlink:href';
  const current = attr === 'href' ? dom.getAttribute(use, 'href') : use.getAttributeNS(NS.xlink, 'href');
  // Only for the address the element holds (or held before it was pointed at a copy).
  if (current !== href && !(current?.startsWith('#' + PREFIX) && original.get(use) === href)) return;
  let nodes: unknown;
  try {
    nodes = JSON.parse(value.slice(newline + 1));
  } catch {
    return;
  }
  if (!Array.isArray(nodes) || !nodes.length) return;
  const prefix = `${PREFIX}${++counter}-`;
  const doc = use.ownerDocument;
  const defs = dom.createElementNS(doc, NS.svg, 'defs');
  dom.setAttribute(defs, MIRROR_ATTR, '');
  // The copy goes beside the <use>, in <defs>: no deeper than the rest of the mirror may nest.
  const depth = depthOf(use) + 1;
  for (const node of nodes) {
    if (!isElement(node)) continue;
    cutTooDeep(node, depth);
    const built = build(doc, withoutProps(node));
    if (dom.type(built) === 1) prefixIds(built as Element, prefix);
    dom.append(defs, built);
  }
  // Beside the <use>, not in it: paint servers (the gradients a symbol refers to) work only where
  // they are rendered, and a <use>'s children are not.
  const parent = dom.parent(use);
  if (!parent) return;
  const previous = copies.get(use);
  const previousParent = previous && dom.parent(previous);
  if (previousParent) dom.remove(previousParent, previous);
  dom.insertBefore(parent, defs, dom.nextSibling(use));
  copies.set(use, defs);
  original.set(use, href);
  const local = '#' + prefix + decodeURIComponent(href.slice(hash + 1));
  if (attr === 'href') dom.setAttribute(use, 'href', local);
  else dom.setAttributeNS(use, NS.xlink, 'xlink:href', local);
}

function isElement(node: unknown): node is SerializedElement {
  return Array.isArray(node) && typeof node[0] === 'string' && !node[0].startsWith('#');
}

/** Drops properties and the markers of shadow roots and documents: a sprite carries markup only. */
function withoutProps(node: SerializedElement): SerializedElement {
  const attrs: Record<string, string> = {};
  const given = node[1];
  if (given && typeof given === 'object') {
    for (const [k, v] of Object.entries(given)) if (k.charCodeAt(0) !== 32 && typeof v === 'string') attrs[k] = v;
  }
  const out: SerializedElement = [node[0], attrs];
  for (let i = 2; i < node.length; i++) {
    const c = node[i];
    if (typeof c === 'string') out.push(c);
    else if (isElement(c)) out.push(withoutProps(c));
  }
  return out;
}

/** Gives every id of the copy the prefix, and every local reference (`#id`, `url(#id)`) with it. */
function prefixIds(root: Element, prefix: string): void {
  const refs = (v: string) => v.replace(/url\(\s*(['"]?)#/g, `url($1#${prefix}`);
  const visit = (el: Element) => {
    for (const name of el.getAttributeNames()) {
      const v = dom.getAttribute(el, name)!;
      let next = name === 'id' ? prefix + v : refs(v);
      if ((name === 'href' || name === 'xlink:href') && v.startsWith('#')) next = '#' + prefix + v.slice(1);
      if (next === v) continue;
      if (name === 'xlink:href') dom.setAttributeNS(el, NS.xlink, name, next);
      else dom.setAttribute(el, name, next);
    }
    if (dom.localName(el) === 'style') dom.setText(el, refs(el.textContent ?? ''));
    for (let c = dom.firstChild(el); c; c = dom.nextSibling(c)) if (dom.type(c) === 1) visit(c as Element);
  };
  visit(root);
}
