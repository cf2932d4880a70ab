/**
 * The namespace of each rebuilt element, implied by its position as the HTML
 * parser implies it (HTML's tree construction, "in foreign content"): the
 * serialized tree carries none, see protocol's dom.ts. The node-by-node build
 * (builder.ts) and the markup writer (markup.ts) must both agree with the
 * parser: the matcher takes a parsed element only in the namespace these
 * rules give it, and an <iframe> below an annotation-xml has a document of
 * its own only where it is an HTML iframe.
 *
 * Where the parser follows HTML's rules (HTML, and below an integration
 * point) `svg` opens SVG and `math` MathML; inside SVG or MathML every other
 * element is in its parent's namespace, `svg` and `math` too. The children of
 * an HTML integration point (SVG foreignObject, desc, title; a MathML
 * annotation-xml whose encoding is HTML) follow HTML's rules, and so do those
 * of a MathML text integration point (mi, mo, mn, ms, mtext) but mglyph and
 * malignmark. Below any other annotation-xml only `svg` does.
 */
import type { Attrs } from '@tandem/protocol';
import { dom } from './dom.js';

export const NS = {
  html: 'http://www.w3.org/1999/xhtml',
  svg: 'http://www.w3.org/2000/svg',
  math: 'http://www.w3.org/1998/Math/MathML',
  xlink: 'http://www.w3.org/1999/xlink',
  xml: 'http://www.w3.org/XML/1998/namespace',
};

/**
 * What an element's children are in: a namespace, or one of the two MathML
 * contexts where some names follow HTML's rules. Never given to the DOM:
 * namespaceOf turns it into a namespace.
 */
export type ChildContext = string;
const MATH_TEXT: ChildContext = 'mathml text integration point';
const MATH_ANNOTATION: ChildContext = 'mathml annotation-xml';

const MATH_TEXT_POINTS = new Set(['mi', 'mo', 'mn', 'ms', 'mtext']);
const SVG_HTML_POINTS = new Set(['foreignobject', 'desc', 'title']);

function byHtmlRules(ltag: string): string {
  return ltag === 'svg' ? NS.svg : ltag === 'math' ? NS.math : NS.html;
}

/** The namespace of an element named `ltag` (lowercased) among children in `context`. */
export function namespaceOf(ltag: string, context: ChildContext): string {
  if (context === NS.html) return byHtmlRules(ltag);
  if (context === MATH_TEXT) return ltag === 'mglyph' || ltag === 'malignmark' ? NS.math : byHtmlRules(ltag);
  if (context === MATH_ANNOTATION) return ltag === 'svg' ? NS.svg : NS.math;
  return context;
}

/**
 * What the children of an element named `ltag` (lowercased), in `ns`, are in; `attrs`: its attributes, of
 * which only an annotation-xml's encoding is read (a name most attribute objects lack costs a lookup through
 * the prototype chain, on every element of a snapshot).
 */
export function childContext(ltag: string, ns: string, attrs: Attrs | 0 | undefined): ChildContext {
  if (ns === NS.html) return NS.html;
  if (ns === NS.svg) return SVG_HTML_POINTS.has(ltag) ? NS.html : NS.svg;
  if (ns !== NS.math) return NS.html;
  if (MATH_TEXT_POINTS.has(ltag)) return MATH_TEXT;
  if (ltag !== 'annotation-xml') return NS.math;
  const e = attrs ? attrs.encoding?.toLowerCase() : undefined;
  return e === 'text/html' || e === 'application/xhtml+xml' ? NS.html : MATH_ANNOTATION;
}

/** What the children of a rebuilt node are in. */
export function contextOf(parent: Node): ChildContext {
  if (dom.type(parent) !== 1) return NS.html;
  const el = parent as Element;
  // Through dom: a <form>'s own properties can be clobbered by the names of its fields.
  const ltag = dom.localName(el).toLowerCase();
  const encoding = ltag === 'annotation-xml' ? dom.getAttribute(el, 'encoding') : null;
  return childContext(ltag, el.namespaceURI ?? NS.html, encoding === null ? 0 : { encoding });
}
