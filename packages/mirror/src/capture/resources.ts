/**
 * Resources the agent's browser cannot load but the visitor's can: `blob:`
 * URLs (they exist only in the visitor's page) and SVG sprite files used by
 * `<use href="file.svg#id">` (an SVG `<use>` loads only documents of its own
 * origin, and the mirror is on the agent's). The visitor's page reads them
 * (fetch, same origin) and relays them as properties (PROP.relayed,
 * PROP.sprite) some time after the element itself: capture never waits for
 * them. Bounded: 1 MB per resource (as data, up to 1.4 MB of base64, which
 * travels in a batch of its own) and 4 MB from one snapshot to the next; a
 * resource over either keeps its URL, which stays broken in the mirror, and
 * is counted (Capture.relays()).
 */
import { PROP, type SerializedElement } from '@tandem/protocol';
import { pristine } from './pristine.js';

/** Largest resource relayed. */
export const RELAY_MAX_BYTES = 1024 * 1024;
/** What a snapshot and the changes after it may relay in all, until the next snapshot. */
export const RELAY_BUDGET_BYTES = 4 * 1024 * 1024;
/** Elements of a sprite sent for one `<use>`: the target and what it refers to. */
const SPRITE_MAX_NODES = 2000;
/** Sprite files kept parsed. */
const SPRITE_FILES = 32;

const XLINK = 'http://www.w3.org/1999/xlink';

export interface RelayStats {
  /** Reads still going on. */
  pending: number;
  relayed: number;
  /** Over a bound, unreadable, or not an image: left as they were. */
  refused: number;
}

export class Resources {
  readonly stats: RelayStats = { pending: 0, relayed: 0, refused: 0 };
  private budget = RELAY_BUDGET_BYTES;
  /** Per blob: URL, its data; null when it is not relayed, undefined when it could not be read. */
  private readonly blobs = new Map<string, Promise<string | null | undefined>>();
  private readonly sprites = new Map<string, Promise<Document | null>>();

  /** `send` gets each relayed property for an element still in the page. */
  constructor(private readonly send: (el: Element, prop: string, value: string) => void) {}

  /** A new snapshot: it has its own budget. */
  reset(): void {
    this.budget = RELAY_BUDGET_BYTES;
  }

  /** An element was serialized, or an attribute of it changed: relay what it needs. */
  element(el: Element): void {
    switch (el.localName) {
      case 'img':
        return this.blob(el, 'src');
      case 'video':
        return this.blob(el, 'poster');
      case 'image':
        return this.blob(el, el.hasAttribute('href') ? 'href' : 'xlink:href');
      case 'use':
        return this.sprite(el);
    }
  }

  private blob(el: Element, name: string): void {
    const url = name === 'xlink:href' ? el.getAttributeNS(XLINK, 'href') : el.getAttribute(name);
    if (!url || !url.startsWith('blob:')) return;
    let read = this.blobs.get(url);
    if (!read) this.blobs.set(url, (read = readBlob(url).catch(() => undefined)));
    // A URL revoked once its image loaded (a common pattern) cannot be read again, but the image can.
    if (el.localName === 'img') read = read.then((data) => (data === undefined ? fromImage(el as HTMLImageElement) : data));
    this.track(read, (data) => {
      if (!data || !this.spend(data.length)) return false;
      // Sent only while the element still shows that URL.
      if ((name === 'xlink:href' ? el.getAttributeNS(XLINK, 'href') : el.getAttribute(name)) === url)
        this.send(el, PROP.relayed, `${name}\n${url}\n${data}`);
      return true;
    });
  }

  private sprite(el: Element): void {
    const href = el.getAttribute('href') ?? el.getAttributeNS(XLINK, 'href');
    if (!href || href.startsWith('#')) return;
    const doc = el.ownerDocument;
    let url: URL;
    try {
      url = new URL(href, el.baseURI);
    } catch {
      return;
    }
    const file = url.href.slice(0, url.href.length - url.hash.length);
    const frag = decodeURIComponent(url.hash.slice(1));
    // Another origin's file does not show on the visitor's page either; this document's own ids need nothing.
    if (!frag || url.origin !== doc.location.origin || file === doc.URL.split('#')[0]) return;
    let parsed = this.sprites.get(file);
    if (!parsed) {
      if (this.sprites.size >= SPRITE_FILES) this.sprites.delete(this.sprites.keys().next().value!);
      this.sprites.set(file, (parsed = readSprite(file)));
    }
    this.track(parsed, (sprite) => {
      const nodes = sprite && spriteNodes(sprite, frag);
      if (!nodes) return false;
      const value = `${href}\n${JSON.stringify(nodes)}`;
      if (!this.spend(value.length)) return false;
      if ((el.getAttribute('href') ?? el.getAttributeNS(XLINK, 'href')) === href) this.send(el, PROP.sprite, value);
      return true;
    });
  }

  private track<T>(read: Promise<T>, use: (value: T) => boolean): void {
    this.stats.pending++;
    void read
      .then(
        (value) => (use(value) ? this.stats.relayed++ : this.stats.refused++),
        () => this.stats.refused++,
      )
      .finally(() => this.stats.pending--);
  }

  private spend(bytes: number): boolean {
    if (bytes > this.budget) return false;
    this.budget -= bytes;
    return true;
  }
}

/** A blob: URL as a data: URL of an image, or null (too big, gone, not an image). */
async function readBlob(url: string): Promise<string | null> {
  const blob = await (await pristine.fetch(url)).blob();
  if (blob.size > RELAY_MAX_BYTES) return null;
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const type = blob.type.startsWith('image/') ? blob.type.split(';')[0]! : sniffImage(bytes);
  if (!type) return null;
  return `data:${type};base64,${base64(bytes)}`;
}

/** The pixels of a loaded image, as PNG; null when it has none or they are too big. */
async function fromImage(img: HTMLImageElement): Promise<string | null> {
  if (!img.complete) await img.decode();
  const { naturalWidth: w, naturalHeight: h } = img;
  if (!w || !h || w * h > RELAY_MAX_BYTES * 4) return null;
  const canvas = img.ownerDocument.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.drawImage(img, 0, 0);
  const data = canvas.toDataURL('image/png');
  return data.length > RELAY_MAX_BYTES * 1.4 ? null : data;
}

/** The type of an image from its first bytes, for blobs made without one. */
function sniffImage(b: Uint8Array): string | null {
  const starts = (...sig: number[]) => sig.every((v, i) => b[i] === v);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && b[8] === 0x57 && b[9] === 0x45) return 'image/webp';
  return null;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A sprite file of the page's origin, parsed; null when it is too big or not SVG. */
async function readSprite(file: string): Promise<Document | null> {
  const res = await pristine.fetch(file, { credentials: 'same-origin' });
  if (!res.ok) return null;
  const text = await res.text();
  if (text.length > RELAY_MAX_BYTES) return null;
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  return doc.getElementsByTagName('parsererror').length ? null : doc;
}

/**
 * The element `id` of a sprite and every element it refers to by
 * `url(#…)` or `href="#…"`, serialized without ids (target first); null when
 * there is no such element or it is too big.
 */
function spriteNodes(doc: Document, id: string): SerializedElement[] | null {
  const target = doc.getElementById(id);
  if (!target) return null;
  const picked: Element[] = [];
  const queue = [target];
  let count = 0;
  while (queue.length) {
    const el = queue.shift()!;
    // Already inside something picked, or containing it (a reference to an ancestor).
    if (picked.some((p) => p.contains(el) || el.contains(p))) continue;
    picked.push(el);
    for (const node of [el, ...Array.from(el.querySelectorAll('*'))]) {
      if (++count > SPRITE_MAX_NODES) return null;
      for (const ref of references(node)) {
        const found = doc.getElementById(ref);
        if (found) queue.push(found);
      }
    }
  }
  return picked.map(serialize);
}

function references(el: Element): string[] {
  const out: string[] = [];
  for (const attr of Array.from(el.attributes)) {
    const v = attr.value;
    if (attr.localName === 'href' && v.startsWith('#')) out.push(v.slice(1));
    for (const m of v.matchAll(/url\(\s*['"]?#([^'")\s]+)/g)) out.push(m[1]!);
  }
  if (el.localName === 'style') for (const m of (el.textContent ?? '').matchAll(/url\(\s*['"]?#([^'")\s]+)/g)) out.push(m[1]!);
  return out;
}

function serialize(el: Element): SerializedElement {
  const attrs: Record<string, string> = {};
  for (const attr of Array.from(el.attributes)) attrs[attr.name] = attr.value;
  const out: SerializedElement = [el.localName, Object.keys(attrs).length ? attrs : 0];
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1) out.push(serialize(c as Element));
    else if (c.nodeType === 3 || c.nodeType === 4) out.push((c as CharacterData).data);
  }
  return out;
}
