/**
 * Where an agent's action landed, for the audit trail: a short CSS-like path of
 * the element, such as `form#booking > div.row:nth-of-type(2) > input`. It is
 * made of names the page's authors chose, never of what the visitor typed or
 * sees: tag names, an id or up to two classes that look like names, and
 * :nth-of-type. No text, no value, no other attribute. An id or a class with a
 * run of digits (an account or order number) is left out, and so is every id
 * and class of a masked or blocked element, which gives its tag and place only.
 */
import { MAX_ELEMENT_PATH_CHARS } from '@tandem/protocol';

/** Segments at most: the nearest ancestors say where; an id usually ends the path sooner. */
const MAX_SEGMENTS = 12;
const NAME = /^[A-Za-z_][\w-]{0,39}$/;
const TAG = /^[A-Za-z][\w-]{0,39}$/;

const isName = (s: string): boolean => NAME.test(s) && !/\d{4}/.test(s);

/** `protection` says whether an element is masked or blocked (capture's rules). */
export function elementPath(el: Element, protection: (el: Element) => string | null): string {
  let path = '';
  let sep = '';
  let at: Element | null = el;
  for (let n = 0; at; n++) {
    const open = protection(at) === null;
    const named = open && isName(at.id);
    let seg = TAG.test(at.localName) ? at.localName : '*';
    if (named) seg += '#' + at.id;
    else {
      if (open) for (const c of [...at.classList].filter(isName).slice(0, 2)) seg += '.' + c;
      const nth = nthOfType(at);
      if (nth > 0) seg += `:nth-of-type(${nth})`;
    }
    // Cut where the next segment would not fit (the `…` and a separator included).
    if (n === MAX_SEGMENTS || seg.length + sep.length + path.length + 4 > MAX_ELEMENT_PATH_CHARS) return '…' + sep + path;
    path = seg + sep + path;
    // An id names the element in its document: the path starts there.
    if (named) return path;
    const up = parentOf(at);
    at = up.el;
    sep = up.sep;
  }
  return path;
}

/** Its place among siblings of its tag, or 0 when it is the only one. */
function nthOfType(el: Element): number {
  let before = 0;
  for (let s = el.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === el.localName) before++;
  if (before > 0) return before + 1;
  for (let s = el.nextElementSibling; s; s = s.nextElementSibling) if (s.localName === el.localName) return 1;
  return 0;
}

/** The element above: the parent, a shadow root's host or a frame's element (` / `); none above the top document's body. */
function parentOf(el: Element): { el: Element | null; sep: string } {
  const parent = el.parentElement;
  // The root element says nothing a path needs: skip from body to the frame that holds the document.
  if (parent && parent !== el.ownerDocument.documentElement) return { el: parent, sep: ' > ' };
  const root = el.getRootNode() as Node & { host?: Element; defaultView?: Window | null };
  if (root.host) return { el: root.host, sep: ' / ' };
  try {
    return { el: el.ownerDocument.defaultView?.frameElement ?? null, sep: ' / ' };
  } catch {
    return { el: null, sep: '' };
  }
}
