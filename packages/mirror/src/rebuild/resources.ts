/**
 * What the visitor's page sends of itself beyond plain markup: resources only
 * its browser can read, relayed as data (PROP.relayed), and stand-ins for
 * elements whose names the rebuild refuses. Both go through sanitize.ts.
 */
import { type Attrs } from '@tandem/protocol';
import { dom } from './dom.js';
import { STAND_IN_ATTRS, isImageData, isRelayTarget, safeAttr } from './sanitize.js';

/** An unknown HTML element, unstyled and inline: what a browser shows for a name it does not know. */
export const STAND_IN_TAG = 'tandem-unknown';

/**
 * A stand-in for an element the rebuild refused to create by its name: it
 * keeps the attributes that style it (so `class` rules still apply) and its
 * content, never the name (a name could make it a script).
 */
export function standInElement(doc: Document, attrs: Attrs, setAttr: (el: Element, name: string, value: string) => void): Element {
  const el = dom.createElement(doc, STAND_IN_TAG);
  for (const name of Object.keys(attrs)) if (STAND_IN_ATTRS.has(name)) setAttr(el, name, attrs[name]!);
  return el;
}

/**
 * "attribute\nURL\ndata": the element's attribute takes the data if it still
 * holds the URL the visitor's page relayed (a newer address must not be
 * overwritten by an older relay), the attribute is an image's and the data
 * is an image.
 */
export function setRelayed(el: Element, value: string): void {
  const [name, url, data] = value.split('\n', 3);
  if (!name || !url || !data) return;
  const tag = dom.localName(el).toLowerCase();
  if (!isRelayTarget(tag, name) || !isImageData(data) || dom.getAttribute(el, name) !== url) return;
  const safe = safeAttr(tag, name, data);
  if (safe === null) return;
  if (name === 'xlink:href') dom.setAttributeNS(el, 'http://www.w3.org/1999/xlink', name, safe);
  else dom.setAttribute(el, name, safe);
}
