/**
 * Ink: what agents draw over the visitor's page — freehand strokes that fade,
 * a laser pointer with a short trail, element highlights and text selections —
 * drawn the same way on both sides: over the visitor's real page (in the SDK's
 * shadow root) and over the mirror in an agent's viewer. Coordinates are CSS px
 * of the visitor's viewport on both. Nothing drawn here is kept: every mark
 * fades by itself or is replaced, and the number of marks is bounded, so a
 * flood of ink cannot grow the page's memory.
 */
export { rangeFromWire, rangeToWire } from './ranges.js';

const SVG = 'http://www.w3.org/2000/svg';
/** A stroke stays this long after the pen lifted, then fades. */
export const STROKE_STAYS_MS = 2500;
/** A stroke whose end never came (the agent's connection went) fades this long after its last points. */
const OPEN_STROKE_STAYS_MS = 10_000;
/** A highlight stays this long, then fades. */
export const HIGHLIGHT_STAYS_MS = 2500;
const FADE_MS = 600;
/** The laser's trail: the points of this last moment. */
const TRAIL_MS = 400;
/** The laser goes when it has not moved for this long. */
const LASER_IDLE_MS = 2000;
/**
 * Bounds, so that one agent can neither grow the page's memory nor crowd out the others: strokes shown
 * at once, in all and per agent (the oldest goes first), points per stroke (later ones are dropped,
 * and cost nothing), and how long any stroke lives.
 */
const MAX_STROKES = 100;
const MAX_STROKES_PER_OWNER = 30;
const MAX_POINTS = 4000;
const MAX_STROKE_LIFE_MS = 60_000;
/** Marks (highlights and selections) are placed again this often while shown: the page scrolls and reflows under them. */
const REPLACE_MS = 250;
const MAX_MARK_RECTS = 200;

type Rects = () => ArrayLike<DOMRectReadOnly> | null;

interface Stroke {
  owner: string;
  path: SVGPathElement;
  points: number;
  born: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Laser {
  dot: SVGCircleElement;
  trail: SVGPolylineElement;
  points: [number, number, number][];
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Mark {
  owner: string;
  g: SVGGElement;
  rects: Rects;
  color: string;
  kind: 'highlight' | 'selection';
}

export class InkLayer {
  readonly svg: SVGSVGElement;
  private readonly strokes = new Map<string, Stroke>();
  private readonly lasers = new Map<string, Laser>();
  private readonly marks = new Map<string, Mark>();
  private marksTimer: ReturnType<typeof setInterval> | undefined;
  private highlights = 0;

  /** `style`: how the layer covers the viewport where it is put (fixed over a page, absolute in a viewer's stage). */
  constructor(parent: Node, style: string) {
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('style', `${style};pointer-events:none;overflow:visible`);
    this.svg.setAttribute('aria-hidden', 'true');
    this.svg.dataset.tandemInk = '';
    parent.appendChild(this.svg);
  }

  /** More points of an owner's stroke (a new stroke on a new id). */
  stroke(owner: string, color: string, id: number, pts: [number, number][], end = false): void {
    const key = `${owner}:${id}`;
    let s = this.strokes.get(key);
    if (s && s.points >= MAX_POINTS) return;
    if (!s) {
      const own = [...this.strokes].filter(([, x]) => x.owner === owner);
      if (own.length >= MAX_STROKES_PER_OWNER) this.dropStroke(own[0]![0]);
      if (this.strokes.size >= MAX_STROKES) this.dropStroke(this.strokes.keys().next().value!);
      const path = this.el('path', { fill: 'none', stroke: color, 'stroke-width': '4', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' });
      path.setAttribute('d', '');
      path.dataset.owner = owner;
      path.dataset.ink = 'stroke';
      s = { owner, path, points: 0, born: Date.now(), timer: undefined };
      this.strokes.set(key, s);
    }
    let d = s.path.getAttribute('d') ?? '';
    for (const [x, y] of pts) {
      if (s.points >= MAX_POINTS) break;
      d += `${s.points++ === 0 ? 'M' : 'L'}${round(x)} ${round(y)}`;
    }
    // A single dot still shows: a zero-length segment with round caps.
    s.path.setAttribute('d', s.points === 1 ? `${d}l0 0` : d);
    clearTimeout(s.timer);
    const stays = Math.min(end ? STROKE_STAYS_MS : OPEN_STROKE_STAYS_MS, s.born + MAX_STROKE_LIFE_MS - Date.now());
    s.timer = setTimeout(() => this.fade(s.path, () => this.strokes.delete(key)), Math.max(0, stays));
  }

  /** The owner's laser moved; x < 0 hides it. */
  laser(owner: string, color: string, x: number, y: number): void {
    let l = this.lasers.get(owner);
    if (x < 0 || y < 0) return this.dropLaser(owner);
    if (!l) {
      const trail = this.el('polyline', { fill: 'none', stroke: color, 'stroke-width': '4', 'stroke-linecap': 'round', opacity: '0.45' });
      const dot = this.el('circle', { r: '7', fill: color, stroke: '#fff', 'stroke-width': '2' });
      dot.style.filter = `drop-shadow(0 0 6px ${color})`;
      dot.dataset.ink = 'laser';
      dot.dataset.owner = owner;
      l = { dot, trail, points: [], timer: undefined };
      this.lasers.set(owner, l);
    }
    l.dot.setAttribute('cx', String(round(x)));
    l.dot.setAttribute('cy', String(round(y)));
    l.points.push([round(x), round(y), Date.now()]);
    this.drawTrail(owner, l);
  }

  /** Outlines boxes for a moment (an element an agent pointed at), in the owner's colour. */
  highlight(owner: string, color: string, rects: Rects): void {
    const key = `${owner}:h${this.highlights++}`;
    const mark = this.mark(key, owner, color, 'highlight', rects);
    setTimeout(() => this.fade(mark.g, () => this.dropMark(key)), HIGHLIGHT_STAYS_MS);
  }

  /** The owner's text selection, shown until it is replaced or cleared; null clears it. */
  selection(owner: string, color: string, rects: Rects | null): void {
    const key = `${owner}:sel`;
    this.dropMark(key);
    if (rects) this.mark(key, owner, color, 'selection', rects);
  }

  /** Clears an owner's ink, or everyone's but `keep`'s selection (the visitor's own, which is theirs to clear). */
  clear(owner?: string, keep?: string): void {
    for (const [key, s] of this.strokes) if (owner === undefined || s.owner === owner) this.dropStroke(key);
    for (const key of [...this.lasers.keys()]) if (owner === undefined || key === owner) this.dropLaser(key);
    for (const [key, m] of this.marks) if ((owner === undefined && m.owner !== keep) || m.owner === owner) this.dropMark(key);
  }

  destroy(): void {
    this.clear();
    this.svg.remove();
  }

  /** Places every mark again (the page scrolled or reflowed). */
  place(): void {
    for (const m of this.marks.values()) this.drawMark(m);
  }

  private mark(key: string, owner: string, color: string, kind: Mark['kind'], rects: Rects): Mark {
    const g = this.el('g', {});
    g.dataset.ink = kind;
    g.dataset.owner = owner;
    const m: Mark = { owner, g, rects, color, kind };
    this.marks.set(key, m);
    this.drawMark(m);
    this.marksTimer ??= setInterval(() => this.place(), REPLACE_MS);
    return m;
  }

  private drawMark(m: Mark): void {
    let rects: ArrayLike<DOMRectReadOnly> | null = null;
    try {
      rects = m.rects();
    } catch {
      // The node went with a new snapshot: the mark shows nothing.
    }
    const shapes: SVGRectElement[] = [];
    const pad = m.kind === 'highlight' ? 4 : 0;
    for (let i = 0; rects && i < Math.min(rects.length, MAX_MARK_RECTS); i++) {
      const r = rects[i]!;
      if (r.width === 0 && r.height === 0) continue;
      shapes.push(
        this.el(
          'rect',
          m.kind === 'highlight'
            ? {
                x: r.left - pad,
                y: r.top - pad,
                width: r.width + 2 * pad,
                height: r.height + 2 * pad,
                rx: 4,
                fill: 'none',
                stroke: m.color,
                'stroke-width': 3,
              }
            : { x: r.left, y: r.top, width: r.width, height: r.height, fill: m.color, 'fill-opacity': 0.28 },
          false,
        ),
      );
    }
    m.g.replaceChildren(...shapes);
  }

  private drawTrail(owner: string, l: Laser): void {
    const now = Date.now();
    l.points = l.points.filter((p) => now - p[2] < TRAIL_MS);
    l.trail.setAttribute('points', l.points.map((p) => `${p[0]},${p[1]}`).join(' '));
    clearTimeout(l.timer);
    // The trail shortens while the laser rests, and the laser goes after a while still.
    const last = l.points.at(-1)?.[2] ?? 0;
    if (l.points.length > 1) l.timer = setTimeout(() => this.drawTrail(owner, l), 60);
    else l.timer = setTimeout(() => this.dropLaser(owner), Math.max(0, last + LASER_IDLE_MS - now));
  }

  private dropStroke(key: string): void {
    const s = this.strokes.get(key);
    if (!s) return;
    clearTimeout(s.timer);
    s.path.remove();
    this.strokes.delete(key);
  }

  private dropLaser(owner: string): void {
    const l = this.lasers.get(owner);
    if (!l) return;
    clearTimeout(l.timer);
    l.dot.remove();
    l.trail.remove();
    this.lasers.delete(owner);
  }

  private dropMark(key: string): void {
    this.marks.get(key)?.g.remove();
    this.marks.delete(key);
    if (this.marks.size === 0) {
      clearInterval(this.marksTimer);
      this.marksTimer = undefined;
    }
  }

  private fade(el: SVGElement, gone: () => void): void {
    el.style.transition = `opacity ${FADE_MS}ms`;
    el.style.opacity = '0';
    el.dataset.fading = '';
    setTimeout(() => {
      el.remove();
      gone();
    }, FADE_MS);
  }

  private el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, attach = true): SVGElementTagNameMap[K] {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (attach) this.svg.appendChild(e);
    return e;
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
