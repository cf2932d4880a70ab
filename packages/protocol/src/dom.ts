/**
 * The DOM payload carried in binary frames: written by mirror's capture, read by
 * mirror's rebuild, never decoded by the server. Compact on purpose: tuples, no
 * per-node ids (ids are implicit, see SerializedNode), tags as strings.
 */

/** Node id of the document itself; its scroll is the window's scroll. */
export const DOCUMENT_ID = 1;

/**
 * A node as serialized. Ids are not written: a subtree is numbered in pre-order
 * from the `firstId` that travels with it, so both sides derive the same ids.
 *
 *   string                            a text node
 *   ['#', text]                       a comment
 *   [tag, attrs | 0, ...children]     an element; `tag` is the localName
 *   ['#shadow', attrs | 0, ...children]   an open shadow root, first child of its host
 *   ['#doc', attrs | 0, root]         the document of a same-origin iframe, only child of the iframe
 *
 * The namespace is implied by the position, as in the HTML parser: `svg` opens
 * SVG, `math` opens MathML; children of an HTML integration point (SVG
 * `foreignObject`, `desc`, `title`; MathML `annotation-xml` with an HTML
 * encoding) are HTML again, and so are those of a MathML text integration
 * point (`mi`, `mo`, `mn`, `ms`, `mtext`) but `mglyph` and `malignmark`.
 * Attribute keys that begin with a space are properties, not attributes (a space
 * can never begin an attribute name): see PROP.
 */
export type SerializedNode = string | SerializedComment | SerializedElement;
export const SHADOW_TAG = '#shadow';
export const DOC_TAG = '#doc';
/**
 * Elements whose one serialized child is their document (a DOC_TAG), when the visitor's page can read it: an <iframe>,
 * or a <frame> of a frameset page. Capture and rebuild ask the same question of a tag.
 */
export const isFrameTag = (tag: string): boolean => tag === 'iframe' || tag === 'frame';
export type SerializedComment = ['#', string];
export type SerializedElement = [tag: string, attrs: Attrs | 0, ...children: SerializedNode[]];
export type Attrs = Record<string, string>;

/** Properties carried beside attributes. */
export const PROP = {
  /** Current value of input, textarea, select (masked at capture when needed). */
  value: ' value',
  /** Current checked state of a checkbox or radio: "1" or "". */
  checked: ' checked',
  /** An element the capture blocked: value is "width,height" of its box in CSS px. */
  blocked: ' blocked',
  /** A checkbox in the indeterminate state: "1" or "". */
  indeterminate: ' indeterminate',
  /** Selectedness of an option: "1" or "". */
  selected: ' selected',
  /**
   * The CSS of a <style> element, read from its CSSOM: CSS-in-JS libraries insert
   * rules that never appear in the element's text. Also a stylesheet <link>'s rules
   * (it becomes a <style>), or null when the page cannot read them (another origin's).
   */
  css: ' css',
  /** CSS of the adopted stylesheets of a document or shadow root, concatenated in order. */
  adopted: ' adopted',
  /**
   * A canvas: "width,height,dataURL" — its used CSS size and its pixels. The
   * mirror runs no script, and there a canvas is not a replaced element, so it
   * is drawn as a background of that size.
   */
  canvas: ' canvas',
  /** Play state of audio/video: "paused|playing,currentTime,framed" (framed: a frame, not the poster, shows). */
  media: ' media',
  /** A dialog shown with showModal(): "1" or "". */
  modal: ' modal',
  /** An element in the popover-open state: "1" or "". */
  popover: ' popover',
  /** A cross-origin iframe: the host name shown in its placeholder. */
  foreign: ' foreign',
  /** Base URL of a nested document. */
  base: ' base',
  /**
   * A resource only the visitor's browser can read (a `blob:` URL), relayed as
   * data some time after the element itself: "attribute\nURL\ndata:image/…".
   * The rebuild sets the attribute to the data only while it still holds that
   * URL, and only for image attributes (img src, SVG image href, video poster).
   */
  relayed: ' relayed',
  /**
   * An SVG `<use>` of another file's element (a sprite), which a mirror on
   * another origin cannot load: "href\n" + JSON of the referenced element and
   * the elements it refers to, as SerializedNode[] (target first). The rebuild
   * builds them under its usual rules inside the `<use>` and points it there.
   */
  sprite: ' sprite',
} as const;

export const EventType = {
  Snapshot: 0,
  Mutations: 1,
  Input: 2,
  Scroll: 3,
  Viewport: 4,
  Pointer: 5,
  /**
   * The snapshot is whole: its last slice came just before, in the same batch. The rebuild finishes its
   * document at once (a browser lays out a document still being parsed more slowly) instead of after a pause.
   */
  SnapshotEnd: 6,
  /**
   * The element that has the focus on the visitor's page (through shadow roots and same-origin frames; 0: none, or one
   * the mirror does not have), and whether the browser shows it a focus ring (1: it matches :focus-visible). The
   * mirror shows the page's :focus, :focus-within and :focus-visible styles by it. (Hover needs no event: the mirror
   * finds what is under the visitor's pointer itself.)
   */
  Focus: 7,
} as const;

export interface Snapshot {
  /** Address of the page, for the agent's display. */
  url: string;
  /** The document's base URL; the rebuild resolves relative URLs against it. */
  base: string;
  title: string;
  /** Document compat mode: true when the page renders in quirks mode. */
  quirks: boolean;
  /** Viewport size in CSS pixels. */
  width: number;
  height: number;
  /** CSS of the document's adopted stylesheets, when it has some. */
  adopted?: string;
  /** Id of the documentElement; its subtree is numbered from here. */
  firstId: number;
  root: SerializedElement;
}

export interface MutationBatch {
  /** Removed nodes (their whole subtree goes). */
  r?: number[];
  /** Added subtrees: parent id, id of the next sibling (0: append), first id, node. */
  a?: [parent: number, before: number, firstId: number, node: SerializedNode][];
  /** Attribute (or PROP) changes: node id, name, new value or null when removed. */
  at?: [id: number, name: string, value: string | null][];
  /** Text changes: node id, new text. */
  tx?: [id: number, text: string][];
}

export type DomEvent =
  | [typeof EventType.Snapshot, Snapshot]
  | [typeof EventType.Mutations, MutationBatch]
  /** Form state: node id, value (string) or checked / selected state (boolean). */
  | [typeof EventType.Input, number, string | boolean]
  | [typeof EventType.Scroll, number, number, number]
  | [typeof EventType.Viewport, number, number]
  /**
   * The visitor's pointer in CSS px of the viewport. Over an element the mirror does not have (the SDK's own panel, an
   * element the site left out), the id of the nearest element around it that it has: the mirror hovers that one, not
   * what lies under the same spot of its own page.
   */
  | [typeof EventType.Pointer, number, number]
  | [typeof EventType.Pointer, number, number, number]
  | [typeof EventType.SnapshotEnd]
  | [typeof EventType.Focus, number, 0 | 1];
