/**
 * The agent's drawing tools over the mirror — freehand pen, laser, text
 * selection — and the ink of the others (the visitor's selection, other
 * agents' strokes, lasers, highlights and selections) drawn in the same layer.
 * What the agent draws shows at once here and travels to the others batched
 * (a few messages a second: the agent channel's rate is shared with pointer moves).
 */
import { MAX_STROKE_POINTS, type Ink, type ServerToAgent, type TextRange } from '@tandem/protocol';
import { InkLayer, rangeFromWire, rangeToWire } from '@tandem/mirror/ink';
import type { Rebuilder } from '@tandem/mirror/rebuild';

export type Tool = 'point' | 'highlight' | 'draw' | 'laser' | 'text';
export const TOOLS: readonly Tool[] = ['point', 'highlight', 'draw', 'laser', 'text'];

/** The visitor's colour (their cursor and selection). */
export const VISITOR_COLOR = '#2563eb';
/** The agent's own ink is sent at most this often while it is drawn. */
const SEND_EVERY_MS = 50;
/** Points closer than this to the last one (CSS px of the page) add nothing to a stroke. */
const MIN_STEP = 2;

export interface InkInputOptions {
  overlay: HTMLElement;
  rebuilder: Rebuilder;
  toPage(e: MouseEvent): [number, number];
  tool(): Tool;
  /** This agent as the others know it (its colour), once welcomed. */
  me(): { id: string; color: string } | undefined;
  sendInk(a: Ink): void;
  sendSelection(range: TextRange | null): void;
}

type InkMessage = Extract<ServerToAgent, { t: 'ink' | 'agentSelection' | 'visitorSelection' }>;

export class InkInput {
  readonly layer: InkLayer;
  private strokeId = 0;
  private drawing: { id: number; last: [number, number]; queued: [number, number][] } | null = null;
  private laserAt: [number, number] | null = null;
  private selecting: Range | null = null;
  private selectionSent = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: InkInputOptions) {
    this.layer = new InkLayer(o.overlay, 'position:absolute;left:0;top:0;width:100%;height:100%;z-index:1');
    o.overlay.addEventListener('pointerdown', (e) => this.down(e));
    o.overlay.addEventListener('pointermove', (e) => this.move(e));
    o.overlay.addEventListener('pointerup', (e) => this.up(e));
    o.overlay.addEventListener('pointercancel', (e) => this.up(e));
    o.overlay.addEventListener('pointerleave', () => {
      if (this.o.tool() !== 'laser') return;
      this.laserAt = [-1, -1];
      this.ownLaser(-1, -1);
      this.flush();
    });
  }

  /** Clears everyone's ink and selections on every side (the visitor's own selection stays theirs). */
  clear(): void {
    this.layer.clear(undefined, 'visitor');
    this.selectionSent = false;
    this.o.sendInk({ k: 'clear' });
  }

  /** Shows the agent's own highlight of an element, as the others see it. */
  ownHighlight(node: number): void {
    const me = this.o.me();
    if (me) this.highlight(me.id, me.color, node);
  }

  /** Ink from the others. */
  show(msg: InkMessage): void {
    const doc = this.o.rebuilder.document;
    const nodeOf = (id: number) => this.o.rebuilder.nodeOfId(id);
    if (msg.t !== 'ink') {
      const [owner, color] = msg.t === 'visitorSelection' ? ['visitor', VISITOR_COLOR] : [msg.agentId, msg.color];
      const range = msg.range ? rangeFromWire(doc, msg.range, nodeOf) : null;
      return this.layer.selection(owner, color, range ? () => range.getClientRects() : null);
    }
    const a = msg.a;
    if (a.k === 'stroke') this.layer.stroke(msg.agentId, msg.color, a.id, a.pts, a.end);
    else if (a.k === 'laser') this.layer.laser(msg.agentId, msg.color, a.x, a.y);
    else if (a.k === 'highlight') this.highlight(msg.agentId, msg.color, a.node);
    else this.layer.clear(undefined, 'visitor');
  }

  private highlight(owner: string, color: string, node: number): void {
    const el = this.o.rebuilder.nodeOfId(node);
    if (el?.nodeType === Node.ELEMENT_NODE) this.layer.highlight(owner, color, () => [(el as Element).getBoundingClientRect()]);
  }

  private down(e: PointerEvent): void {
    const me = this.o.me();
    const tool = this.o.tool();
    if (e.button !== 0 || !me || (tool !== 'draw' && tool !== 'text')) return;
    this.o.overlay.setPointerCapture(e.pointerId);
    const at = this.o.toPage(e);
    if (tool === 'draw') {
      this.drawing = { id: ++this.strokeId, last: at, queued: [at] };
      this.layer.stroke(me.id, me.color, this.drawing.id, [at]);
      this.later();
    } else {
      const caret = this.caret(at);
      this.selecting = caret;
      // A click without a drag clears the agent's selection.
      this.layer.selection(me.id, me.color, null);
    }
  }

  private move(e: PointerEvent): void {
    const me = this.o.me();
    if (!me) return;
    const at = this.o.toPage(e);
    const tool = this.o.tool();
    if (tool === 'laser') {
      this.laserAt = at;
      this.ownLaser(...at);
      return this.later();
    }
    if (this.drawing) {
      const [lx, ly] = this.drawing.last;
      if (Math.hypot(at[0] - lx, at[1] - ly) < MIN_STEP) return;
      this.drawing.last = at;
      this.drawing.queued.push(at);
      this.layer.stroke(me.id, me.color, this.drawing.id, [at]);
      return this.later();
    }
    if (this.selecting) {
      this.select(at, me);
      this.later();
    }
  }

  private up(e: PointerEvent): void {
    const me = this.o.me();
    if (this.drawing && me) {
      this.layer.stroke(me.id, me.color, this.drawing.id, [], true);
      this.flush(true);
    } else if (this.selecting && me) {
      this.select(this.o.toPage(e), me);
      this.flush();
    }
    this.selecting = null;
  }

  private ownLaser(x: number, y: number): void {
    const me = this.o.me();
    if (me) this.layer.laser(me.id, me.color, x, y);
  }

  /** The range from where the drag began to the caret under the pointer, drawn at once. */
  private select(at: [number, number], me: { id: string; color: string }): void {
    const anchor = this.selecting!;
    const focus = this.caret(at);
    if (!focus) return;
    const range = this.o.rebuilder.document.createRange();
    const backwards = anchor.compareBoundaryPoints(Range.START_TO_START, focus) > 0;
    const [a, b] = backwards ? [focus, anchor] : [anchor, focus];
    range.setStart(a.startContainer, a.startOffset);
    range.setEnd(b.startContainer, b.startOffset);
    this.pendingRange = range;
    this.layer.selection(me.id, me.color, range.collapsed ? null : () => range.getClientRects());
  }

  private pendingRange: Range | null = null;

  /** A collapsed range at the text under a point of the page, if any. */
  private caret([x, y]: [number, number]): Range | null {
    const doc = this.o.rebuilder.document as Document & {
      caretPositionFromPoint?(x: number, y: number): { offsetNode: Node; offset: number } | null;
    };
    if (doc.caretRangeFromPoint) return doc.caretRangeFromPoint(x, y);
    const p = doc.caretPositionFromPoint?.(x, y);
    if (!p) return null;
    const r = doc.createRange();
    r.setStart(p.offsetNode, p.offset);
    return r;
  }

  private later(): void {
    this.timer ??= setTimeout(() => this.flush(), SEND_EVERY_MS);
  }

  /** Sends what was drawn since the last send; `end`: the pen lifted. */
  private flush(end = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const d = this.drawing;
    if (d) {
      while (d.queued.length > MAX_STROKE_POINTS) this.o.sendInk({ k: 'stroke', id: d.id, pts: d.queued.splice(0, MAX_STROKE_POINTS) });
      if (d.queued.length || end)
        this.o.sendInk({ k: 'stroke', id: d.id, pts: d.queued.length ? d.queued.splice(0) : [d.last], ...(end ? { end } : {}) });
      if (end) this.drawing = null;
    }
    if (this.laserAt) {
      this.o.sendInk({ k: 'laser', x: this.laserAt[0], y: this.laserAt[1] });
      this.laserAt = null;
    }
    if (this.pendingRange) {
      const wire = rangeToWire(this.pendingRange, (n) => this.o.rebuilder.idOfNode(n));
      this.pendingRange = null;
      if (wire || this.selectionSent) this.o.sendSelection(wire);
      this.selectionSent = wire !== null;
    }
  }
}
