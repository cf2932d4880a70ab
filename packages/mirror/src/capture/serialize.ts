/**
 * Turns live nodes into the compact SerializedNode form (see protocol's dom.ts),
 * numbering them in pre-order and applying masking on the way.
 */
import { PROP, type Attrs, type SerializedElement, type SerializedNode } from '@tandem/protocol';
import { isPasswordField, maskText, type Masker } from './mask.js';

/** Elements whose children are not mirrored: their content never renders, or runs. */
const OPAQUE = new Set(['script', 'noscript', 'textarea', 'iframe', 'template']);

/** Elements with this attribute are left out of the mirror entirely. */
export const IGNORE_ATTR = 'data-tandem-ignore';

export function mirrorsChildren(node: Node): boolean {
  return node.nodeType !== 1 || !OPAQUE.has((node as Element).localName);
}

export class NodeIds {
  private readonly map = new WeakMap<Node, number>();
  private next: number;

  constructor(first: number) {
    this.next = first;
  }

  get(node: Node): number | undefined {
    return this.map.get(node);
  }

  /** The id the next serialized node will get. */
  peek(): number {
    return this.next;
  }

  assign(node: Node): number {
    const id = this.next++;
    this.map.set(node, id);
    return id;
  }
}

export class Serializer {
  constructor(
    private readonly ids: NodeIds,
    private readonly masker: Masker,
  ) {}

  /** Serializes `node` and its subtree; `masked` says whether an ancestor is masked. */
  node(node: Node, masked: boolean): SerializedNode | null {
    switch (node.nodeType) {
      case 3: // text
      case 4: // CDATA
        this.ids.assign(node);
        return this.text(node as Text, masked);
      case 8: // comment
        this.ids.assign(node);
        return ['#', (node as Comment).data];
      case 1:
        // The SDK's own UI marks itself so it is never part of what is shared.
        if ((node as Element).hasAttribute(IGNORE_ATTR)) return null;
        return this.element(node as Element, masked);
      default:
        return null;
    }
  }

  text(node: CharacterData, masked: boolean): string {
    return masked ? maskText(node.data) : node.data;
  }

  private element(el: Element, inheritedMask: boolean): SerializedNode {
    this.ids.assign(el);
    const tag = el.localName;
    if (this.masker.isBlocked(el)) {
      const box = el.getBoundingClientRect();
      return [tag, { [PROP.blocked]: `${Math.round(box.width)},${Math.round(box.height)}` }];
    }
    const masked = inheritedMask || this.masker.matchesMask(el);
    const out: SerializedElement = [tag, this.attrs(el, masked) ?? 0];
    if (!mirrorsChildren(el)) return out;
    for (let c = el.firstChild; c; c = c.nextSibling) {
      const s = this.node(c, masked);
      if (s !== null) out.push(s);
    }
    return out;
  }

  attrs(el: Element, masked: boolean): Attrs | null {
    let out: Attrs | null = null;
    const tag = el.localName;
    if (tag === 'script') return null; // never needed to render, and may carry secrets inline
    const maskValues = masked || isPasswordField(el);
    for (const a of Array.from(el.attributes)) {
      (out ??= {})[a.name] = maskValues ? this.masker.maskAttr(a.name, a.value) : a.value;
    }
    if (tag === 'input' || tag === 'textarea' || tag === 'select') {
      const field = el as HTMLInputElement;
      if (field.type === 'checkbox' || field.type === 'radio') {
        (out ??= {})[PROP.checked] = field.checked ? '1' : '';
      } else {
        (out ??= {})[PROP.value] = maskValues ? maskText(field.value) : field.value;
      }
    }
    return out;
  }

  /** The current value of one attribute as it may travel. */
  attr(el: Element, name: string, masked: boolean): string | null {
    const value = el.getAttribute(name);
    if (value === null || el.localName === 'script') return null;
    return masked || isPasswordField(el) ? this.masker.maskAttr(name, value) : value;
  }
}
