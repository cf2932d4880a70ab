/**
 * Capture: serializes a document, then observes it and reports changes as
 * DomEvent batches: at once while a budget lasts, then one per animation frame. No network here: the
 * caller decides where events go.
 */
import { DOCUMENT_ID, EventType, PROP, isFrameTag, type DomEvent, type MutationBatch, type Snapshot } from '@tandem/protocol';
import { contentMasked, diffRecords, type Observed } from './changes.js';
import { Walk } from './walk.js';
import { Masker, closestAcross, maskText, safeMatches, type MaskOptions } from './mask.js';
import { Roots } from './roots.js';
import { IGNORE_ATTR, NodeIds, Serializer, markSeeked } from './serialize.js';
import { canvasProp, watchWebGl } from './canvas.js';
import { pristine, resolvePristine } from './pristine.js';
import { Resources, type RelayStats } from './resources.js';
import { adoptedCss, isStylesheetLink } from './styles.js';
import { findNode, frameDocument } from './lookup.js';
import { scrollCandidates } from './scrollers.js';

export type { MaskOptions } from './mask.js';
export type { RelayStats } from './resources.js';

/** The browser's own MutationObserver, even where the page replaced it (see pristine.ts): for the SDK's other observers. */
export function browserMutationObserver(doc: Document): typeof MutationObserver {
  resolvePristine(doc);
  return pristine.MutationObserver;
}
export { closestAcross } from './mask.js';
export { IGNORE_ATTR } from './serialize.js';

export interface CaptureOptions {
  mask?: MaskOptions;
  /** Receives each batch of events, in order. The first batch holds the snapshot. */
  emit: (events: DomEvent[], keyframe: boolean) => void;
  /** Called once a full snapshot has been emitted completely (it may take several batches). */
  onSnapshotComplete?: () => void;
  /** Longest slice of work before capture yields to the page, in ms (default SLICE_MS). */
  sliceMs?: number;
}

export interface Capture {
  /** Sends a fresh full snapshot (an agent joined or lost frames). */
  snapshot(): void;
  /** The node the mirror knows by this id, if it is still in the page. */
  nodeOf(id: number): Node | null;
  /** The id the mirror knows a node by; undefined for one it does not know (blocked, ignored, not yet sent). */
  idOf(node: Node): number | undefined;
  /** Why agents may not act on an element (blocked or masked), or null. */
  protection(el: Element): 'blocked' | 'masked' | null;
  /** Resources relayed as data (blob: images, sprites): how many, refused, still being read. */
  relays(): RelayStats;
  stop(): void;
}

function messageChannel(): MessageChannel | null {
  try {
    return new pristine.MessageChannel();
  } catch {
    return null; // replaced by the page with something that throws (see pristine.ts)
  }
}

/**
 * A change goes at the end of the task that made it (a microtask), as long as this budget lasts: BATCHES_PER_S a
 * second, up to BATCH_BURST at once. Past it, changes wait for the next animation frame, as they all did before:
 * on a busy page that held them behind the page's own rendering, and the agent fell behind (DESIGN.md has the
 * figures). Batches sent with the frames use the budget up too: a page that changes every frame sends one batch per
 * frame, as before, and never that plus the budget (the server bounds a visitor's messages:
 * visitorMessagesPerSecond).
 */
const BATCHES_PER_S = 60;
const BATCH_BURST = 20;
/** Batches left in the background (no animation frames) still flush this often. */
const FALLBACK_FLUSH_MS = 100;
/** Longest slice of background work (the scroll scan) before it yields to the page. */
const SLICE_MS = 8;
/**
 * The elements whose offset the scan reads where the CSS cannot tell which
 * scroll (scrollers.ts): those with children (void elements such as img or br
 * are :empty), and form controls, whose text scrolls.
 */
const MAY_SCROLL = ':not(:empty),input,textarea,select';
/** checkVisibility's options for "rendered now": false also under content-visibility: auto while skipped. */
const RENDERED = { contentVisibilityAuto: true } as CheckVisibilityOptions;
/** Canvases are re-read at most this often: pixels are the costliest thing capture sends. */
const CANVAS_INTERVAL_MS = 500;

export function startCapture(doc: Document, options: CaptureOptions): Capture {
  const win = doc.defaultView!;
  // Before anything else: the page may have replaced what capture calls (see pristine.ts).
  resolvePristine(doc);
  const masker = new Masker(options.mask);
  const sliceMs = options.sliceMs ?? SLICE_MS;
  let ids = new NodeIds(doc);
  /** Counts snapshots: slices and scans of a replaced snapshot stop. */
  let scanGeneration = 0;
  let serializer!: Serializer;
  let records: Observed[] = [];
  /** How many records there were when the last slice of a snapshot ended: more at the next one means the page changed. */
  let recordsAtSlice = 0;
  /** The walk of a snapshot still going on in slices, or null. */
  let walking: Walk | null = null;
  let pending: DomEvent[] = [];
  /** Nodes whose property-like state (see PROP) must be sent again. */
  const dirtyProps = new Map<Node, Set<string>>();
  const newShadows = new Set<ShadowRoot>();
  const reloadedFrames = new Set<HTMLIFrameElement>();
  const canvases = new Set<HTMLCanvasElement>();
  const canvasPixels = new WeakMap<HTMLCanvasElement, string>();
  const frameDocs = new WeakMap<HTMLIFrameElement, Document>();
  const scrolls = new Map<number, [number, number]>();
  /** The pointer's last place in its document's viewport, and what it was over there (null: it left the page). */
  let pointer: [number, number, Element | null] | null = null;
  /** The focus moved since the last batch; what the mirror was last told (EventType.Focus: id, ring). */
  let focusMoved = false;
  let sentFocus = [0, 0];
  let scheduled = false;
  /** Batches that may still go at once (BATCHES_PER_S), as of budgetAt (performance.now()). */
  let budget = BATCH_BURST;
  let budgetAt = 0;
  let stopped = false;
  /** Resources read since the last batch: each goes in a batch of its own (see flush). */
  let relayed: [Element, string, string][] = [];
  const resources = new Resources((el, prop, value) => {
    if (stopped) return;
    relayed.push([el, prop, value]);
    schedule();
  });

  const observer = new pristine.MutationObserver((list) => {
    for (const r of list) records.push([r, ids.peek()]);
    schedule();
  });

  const markProp = (node: Node, name: string) => {
    let names = dirtyProps.get(node);
    if (!names) dirtyProps.set(node, (names = new Set()));
    names.add(name);
    schedule();
  };

  const roots = new Roots(
    observer,
    {
      input: onInput,
      change: onInput,
      reset: onReset,
      scroll: onScroll,
      load: onLoad,
      toggle: onToggle,
      play: onMedia,
      pause: onMedia,
      seeked: onMedia,
      ratechange: onMedia,
      focusin: onFocus,
      focusout: onFocus,
      // A key shows the ring of an element focused by the mouse (:focus-visible) without moving the focus.
      keydown: onFocus,
      pointermove: onPointer,
      // A tap moves no pointer before it: its place, where the browser hovers what was touched.
      pointerdown: onPointer,
      pointerout: onPointer,
    },
    (owner) => {
      if (owner instanceof CSSStyleSheet) for (const root of roots.adopting(owner)) markProp(root, PROP.adopted);
      else markProp(owner, PROP.css);
    },
    (root) => {
      newShadows.add(root);
      schedule();
    },
    onPropertySet,
  );

  /** A form field (or a root's adopted sheets) changed through a property setter. */
  function onPropertySet(node: Node, prop: string): void {
    if (ids.get(node) === undefined) return;
    if (prop === PROP.selected && (node as Element).localName === 'select') {
      for (const o of Array.from((node as HTMLSelectElement).options)) markProp(o, PROP.selected);
    } else if (prop === PROP.selected && (node as Element).localName === 'option') {
      // Selecting one option of a single select deselects the others.
      const select = (node as HTMLOptionElement).parentElement?.closest('select');
      for (const o of Array.from(select?.options ?? [node as HTMLOptionElement])) markProp(o, PROP.selected);
    } else if (prop === PROP.checked && (node as HTMLInputElement).type === 'radio') {
      for (const r of radioGroup(node as HTMLInputElement)) markProp(r, PROP.checked);
    } else if (prop === PROP.checked || prop === PROP.indeterminate) {
      markProp(node, PROP.checked);
      markProp(node, PROP.indeterminate);
    } else {
      markProp(node, prop);
    }
  }

  function onReset(e: Event): void {
    const form = e.target as HTMLFormElement;
    // The reset happens after its event: read the fields once it is done.
    pristine.setTimeout(() => {
      for (const el of Array.from(form.elements)) {
        if (el.localName === 'select') onPropertySet(el, PROP.selected);
        else if ((el as HTMLInputElement).type === 'checkbox' || (el as HTMLInputElement).type === 'radio') onPropertySet(el, PROP.checked);
        else onPropertySet(el, PROP.value);
      }
    });
  }

  function newSerializer(): void {
    ids = ids.renumber();
    serializer = new Serializer(ids, masker, {
      root: (root) => {
        roots.watch(root);
        if (root.nodeType === 9) {
          const frame = (root as Document).defaultView?.frameElement;
          if (frame) frameDocs.set(frame as HTMLIFrameElement, root as Document);
        }
      },
      resource: (el) => resources.element(el),
      canvas: (c, pixels) => {
        canvases.add(c);
        // A same-origin frame's WebGL contexts come from its own window's prototypes.
        const view = c.ownerDocument.defaultView;
        if (view) watchGl(view);
        // What the snapshot holds is the baseline: the next check sends only a change.
        if (pixels) canvasPixels.set(c, pixels);
      },
    });
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    const now = performance.now();
    budget = Math.min(BATCH_BURST, budget + ((now - budgetAt) * BATCHES_PER_S) / 1000);
    budgetAt = now;
    if (budget >= 1) {
      pristine.queueMicrotask(flush);
      return;
    }
    pristine.requestAnimationFrame(flush);
    pristine.setTimeout(flush, FALLBACK_FLUSH_MS);
  }

  function flush(): void {
    if (!scheduled) return;
    scheduled = false;
    // While a sliced snapshot goes on, changes wait: they follow its last slice.
    if (walking) return;
    budget = Math.max(0, budget - 1);
    for (const r of observer.takeRecords()) records.push([r, ids.peek()]);
    const events: DomEvent[] = [];
    const batch = diffRecords(records, { ids, serializer, masker }, dirtyProps) ?? {};
    records = [];
    dirtyProps.clear();
    addLateRoots(batch);
    if (batch.r || batch.a || batch.at || batch.tx) events.push([EventType.Mutations, batch]);
    events.push(...pending);
    pending = [];
    for (const [id, [x, y]] of scrolls) events.push([EventType.Scroll, id, x, y]);
    scrolls.clear();
    const moved = pointer && pointerEvent(...pointer);
    if (moved) events.push(moved);
    pointer = null;
    if (focusMoved) {
      focusMoved = false;
      const [id, ring] = focused();
      if (id !== sentFocus[0] || ring !== sentFocus[1]) events.push([EventType.Focus, id, ring]);
      sentFocus = [id, ring];
    }
    if (events.length) options.emit(events, false);
    // Up to a megabyte each: alone, one too large for a frame is all that is lost, never other changes.
    for (const [el, prop, value] of relayed) {
      const id = ids.get(el);
      if (id !== undefined && el.isConnected && !masker.inBlocked(el)) options.emit([[EventType.Mutations, { at: [[id, prop, value]] }]], false);
    }
    relayed = [];
  }

  /** Shadow roots attached and iframe documents loaded since the last batch. */
  function addLateRoots(batch: MutationBatch): void {
    const adds = (batch.a ??= []);
    for (const root of newShadows) {
      const hostId = ids.get(root.host);
      if (hostId === undefined || ids.get(root) !== undefined || !root.host.isConnected || masker.inBlocked(root.host)) continue;
      const firstId = ids.peek();
      const node = serializer.node(root, contentMasked(root.host, masker));
      if (node) adds.push([hostId, 0, firstId, node]);
    }
    newShadows.clear();
    for (const frame of reloadedFrames) {
      const frameId = ids.get(frame);
      if (frameId === undefined || !frame.isConnected || masker.inBlocked(frame)) continue;
      const old = frameDocs.get(frame);
      const oldId = old && ids.get(old);
      if (old === frame.contentDocument && oldId !== undefined) continue;
      if (oldId !== undefined) (batch.r ??= []).push(oldId);
      const firstId = ids.peek();
      const node = serializer.nestedDocument(frame, contentMasked(frame, masker));
      if (node) adds.push([frameId, 0, firstId, node]);
    }
    reloadedFrames.clear();
    if (!adds.length) delete batch.a;
  }

  /**
   * Takes a full snapshot in slices of at most SLICE_MS: the first slice goes
   * out as the keyframe (the agent sees the top of the page at once), the
   * rest as additions to the parents they belong to. Changes made meanwhile
   * are sent after the last slice.
   */
  function snapshot(): void {
    // Pending changes are part of the state the snapshot describes.
    observer.takeRecords();
    records = [];
    pending = [];
    scrolls.clear();
    dirtyProps.clear();
    newShadows.clear();
    reloadedFrames.clear();
    newSerializer();
    resources.reset();
    relayed = []; // the new snapshot asks again
    const generation = ++scanGeneration;
    const firstId = ids.peek();
    const walk = new Walk(serializer, ids);
    walking = walk;
    serializer.snapshotting = true;
    serializer.enterRoot(doc);
    const root = walk.start(doc.documentElement, masker.maskedByDefault) as Snapshot['root'];
    const done = walk.run(performance.now() + sliceMs);
    walk.cut();
    const snap: Snapshot = {
      url: doc.location.href,
      base: doc.baseURI,
      title: doc.title,
      quirks: doc.compatMode === 'BackCompat',
      width: win.innerWidth,
      height: win.innerHeight,
      firstId,
      root,
    };
    const adopted = adoptedCss(doc);
    if (adopted !== null) snap.adopted = adopted;
    roots.adoptedChanged(); // what the snapshot holds is the new baseline
    const events: DomEvent[] = [
      [EventType.Snapshot, snap],
      [EventType.Scroll, DOCUMENT_ID, win.scrollX, win.scrollY],
    ];
    if (done) events.push([EventType.SnapshotEnd]);
    recordsAtSlice = records.length;
    options.emit(events, true);
    if (done) finishSnapshot(generation);
    else later(() => continueSnapshot(generation));
  }

  function continueSnapshot(generation: number): void {
    if (generation !== scanGeneration || walking === null) return; // replaced or stopped
    // Records of this pause carry the boundary of what was sent before it.
    for (const r of observer.takeRecords()) records.push([r, ids.peek()]);
    // Records come through the observer's callback too, when the page changed in a task of its own since the last
    // slice: counted, not taken. Either way, new or changed elements may match masking rules the prepared sets do not
    // know (a masked value would go out as it is), and an element the walk is inside may have been masked or blocked.
    if (records.length !== recordsAtSlice) {
      masker.refresh();
      walking.pageChanged();
    }
    const done = walking.run(performance.now() + sliceMs);
    recordsAtSlice = records.length;
    const part = walking.cut();
    const events: DomEvent[] = part.a || part.r ? [[EventType.Mutations, part]] : [];
    if (done) events.push([EventType.SnapshotEnd]);
    if (events.length) options.emit(events, false);
    if (done) finishSnapshot(generation);
    else later(() => continueSnapshot(generation));
  }

  function finishSnapshot(generation: number): void {
    walking = null;
    serializer.snapshotting = false;
    masker.release();
    options.onSnapshotComplete?.();
    // The new mirror has nothing focused: tell it what has, with the next batch.
    sentFocus = [0, 0];
    onFocus();
    // Its own task: finding the candidates (reading the CSS, one selector match) after the last slice made that task long.
    later(() => scanScrolls(generation));
    if (records.length) schedule();
  }

  /**
   * Finds the scrolled elements and frames the snapshot holds. Reading every
   * element's scroll offset costs as much as the snapshot itself, so it runs
   * after it, in slices that leave the page free in between; what it finds
   * goes out with the next batch.
   *
   * An element the browser does not render right now (in a closed <details>,
   * under content-visibility: hidden, or auto and off screen) is skipped: its
   * offset makes the browser lay that subtree out for the read and drop it
   * again at the next frame, which on a page of closed <details> cost the
   * visitor more than the whole snapshot (a layout and paint every frame of
   * the scan). Such an element shows unscrolled on the agent until it scrolls.
   */
  function scanScrolls(generation: number): void {
    if (generation !== scanGeneration) return; // a newer snapshot, or capture stopped
    const queue: Element[] = [];
    for (const root of roots.all) {
      const rootId = ids.get(root);
      if (root.nodeType === 9 && rootId !== undefined && root !== doc) {
        const w = (root as Document).defaultView!;
        if (w.scrollX || w.scrollY) scrolls.set(rootId, [w.scrollX, w.scrollY]);
      }
      // The elements the CSS makes scroll containers; every element that may scroll when the CSS cannot tell.
      // A loop, not push(...all): a page of a few hundred thousand elements would pass the argument limit.
      const found = scrollCandidates(root) ?? root.querySelectorAll(MAY_SCROLL);
      for (let i = 0; i < found.length; i++) queue.push(found[i]!);
      // A shadow root's host may scroll by a :host rule of its own sheets, which its outer root's CSS does not show.
      if (root.nodeType === 11) queue.push((root as ShadowRoot).host);
    }
    let i = 0;
    const slice = () => {
      if (generation !== scanGeneration) return; // a newer snapshot started its own scan
      const until = performance.now() + sliceMs;
      for (; i < queue.length && performance.now() < until; i += 64) {
        for (let j = i; j < Math.min(i + 64, queue.length); j++) {
          const el = queue[j]!;
          if (el.checkVisibility && !el.checkVisibility(RENDERED)) continue;
          if (!el.scrollTop && !el.scrollLeft) continue;
          const id = ids.get(el);
          if (id !== undefined && el !== el.ownerDocument.documentElement) scrolls.set(id, [el.scrollLeft, el.scrollTop]);
        }
      }
      if (scrolls.size) schedule();
      if (i < queue.length) later(slice);
    };
    later(slice);
  }

  /** Handles an event once, at the root that holds its real target. */
  function ownTarget(e: Event): Element | null {
    const target = e.composedPath()[0] as Node | undefined;
    if (!target || target.getRootNode() !== e.currentTarget) return null;
    return target.nodeType === 1 ? (target as Element) : null;
  }

  function onInput(e: Event): void {
    const el = ownTarget(e);
    const id = el ? ids.get(el) : undefined;
    if (!el || id === undefined || masker.inBlocked(el)) return;
    const field = el as HTMLInputElement;
    if (field.type === 'radio') {
      for (const r of radioGroup(field)) {
        const rid = ids.get(r);
        if (rid !== undefined) pending.push([EventType.Input, rid, r.checked]);
      }
    } else if (field.type === 'checkbox') {
      pending.push([EventType.Input, id, field.checked]);
    } else if (el.localName === 'select') {
      for (const o of Array.from((el as HTMLSelectElement).options)) {
        const oid = ids.get(o);
        if (oid !== undefined) pending.push([EventType.Input, oid, o.selected]);
      }
    } else if ('value' in field && typeof field.value === 'string') {
      const masked = masker.masksValue(el, masker.isMasked(el));
      pending.push([EventType.Input, id, masked ? maskText(field.value) : field.value]);
    }
    schedule();
  }

  /** Checking one radio unchecks the others of its group, without any event or setter call for them. */
  function radioGroup(radio: HTMLInputElement): HTMLInputElement[] {
    if (!radio.name) return [radio];
    const root = radio.getRootNode() as Document | ShadowRoot;
    return Array.from(root.querySelectorAll<HTMLInputElement>('input[type=radio]')).filter((r) => r.name === radio.name);
  }

  function onScroll(e: Event): void {
    const target = e.target as Node;
    // The top document is DOCUMENT_ID, a frame's document the id it was sent with.
    const id = ids.get(target);
    if (id === undefined) return;
    if (target.nodeType === 9) {
      const w = (target as Document).defaultView;
      if (!w) return;
      scrolls.set(id, [w.scrollX, w.scrollY]);
    } else {
      scrolls.set(id, [(target as Element).scrollLeft, (target as Element).scrollTop]);
    }
    schedule();
  }

  function onLoad(e: Event): void {
    const el = e.target as Element;
    if (ids.get(el) === undefined) return;
    if (isFrameTag(el.localName)) {
      reloadedFrames.add(el as HTMLIFrameElement);
      schedule();
    } else if (isStylesheetLink(el)) {
      markProp(el, PROP.css); // a new or changed sheet: its rules travel
    }
  }

  function onToggle(e: Event): void {
    const el = e.target as Element;
    if (ids.get(el) === undefined) return;
    markProp(el, el.localName === 'dialog' ? PROP.modal : PROP.popover);
  }

  function onMedia(e: Event): void {
    if (e.type === 'seeked') markSeeked(e.target as HTMLMediaElement);
    if (ids.get(e.target as Node) !== undefined) markProp(e.target as Node, PROP.media);
  }

  function onFocus(): void {
    focusMoved = true;
    schedule();
  }

  /**
   * The element with the focus, through shadow roots and same-origin frames, and whether it shows a focus ring; [0, 0]
   * for none the mirror has (the body, the SDK's own panel, something inside a blocked element).
   */
  function focused(): [number, 0 | 1] {
    try {
      let el = doc.activeElement;
      for (let depth = 0; el && depth < 64; depth++) {
        const inner = el.shadowRoot?.activeElement ?? (isFrameTag(el.localName) ? frameDocument(el as HTMLIFrameElement)?.activeElement : null);
        // A frame whose document has nothing focused has its body active: the frame itself has the focus.
        if (!inner || inner === inner.ownerDocument.body) break;
        el = inner;
      }
      // Not :focus while the window is not the one focused (the visitor is in another app), nor a frame whose
      // document (cross-origin, or with only its body active) holds the focus.
      const id = el && safeMatches(el, ':focus') ? ids.get(el) : undefined;
      if (id !== undefined) return [id, safeMatches(el!, ':focus-visible') ? 1 : 0];
    } catch {
      // A page that broke the getters read here loses its focus on the mirror, never the batch it goes in.
    }
    return [0, 0];
  }

  /** The pointer moved or touched, in the top document or a same-origin frame's, or left the page. */
  function onPointer(e: Event): void {
    const at = e.currentTarget as Document | ShadowRoot;
    // Once, at its document: a move in a shadow root reaches the document too.
    if (at.nodeType !== 9) return;
    const p = e as PointerEvent;
    // Off the page (to nowhere, from the top document): the mirror hides the pointer and hovers nothing.
    // A finger lifted says pointerout too, but the browser keeps what it touched hovered.
    if (e.type === 'pointerout' && (p.relatedTarget || at !== doc || p.pointerType !== 'mouse')) return;
    // The innermost target, read now: after the event, only its shadow host is left of it (an open root's).
    pointer = [p.clientX, p.clientY, e.type === 'pointerout' ? null : (e.composedPath()[0] as Element)];
    schedule();
  }

  /**
   * The Pointer event of the pointer's last place, made once a batch however many moves came: a frame's viewport
   * moved into the top one's by the frame's place, read then; over what the mirror does not have (the SDK's panel, an
   * element the site left out), with the nearest element around it that the mirror has, since the mirror would hover
   * what lies under that spot of its own page.
   */
  function pointerEvent(x: number, y: number, over: Element | null): DomEvent | null {
    if (!over) return [EventType.Pointer, -1, -1];
    try {
      // A frame gone since (no window, or none around it): its place is not known.
      for (let view = over.ownerDocument.defaultView; view !== win;) {
        const frame = view?.frameElement;
        if (!frame) return null;
        const box = frame.getBoundingClientRect();
        x += box.left + frame.clientLeft;
        y += box.top + frame.clientTop;
        view = frame.ownerDocument.defaultView;
      }
      // Up from the element left out, across shadow hosts, to one the mirror has (one left out may hold another).
      let around: number | undefined;
      for (let el = closestAcross(over, `[${IGNORE_ATTR}]`); el && around === undefined;) {
        el = el.parentElement ?? (el.getRootNode() as ShadowRoot).host ?? null;
        around = el ? ids.get(el) : undefined;
      }
      return around ? [EventType.Pointer, Math.round(x), Math.round(y), around] : [EventType.Pointer, Math.round(x), Math.round(y)];
    } catch {
      return null; // a page that broke what is read here loses this move on the mirror, never the batch it goes in
    }
  }

  function onResize(): void {
    pending.push([EventType.Viewport, win.innerWidth, win.innerHeight]);
    schedule();
  }

  /** Low-frequency checks for what no event announces: canvas pixels, adopted sheet arrays. */
  function tick(): void {
    for (const c of canvases) {
      const id = ids.get(c);
      if (!c.isConnected || id === undefined) {
        canvases.delete(c);
        continue;
      }
      // A WebGL canvas whose frames capture copies is read only when it drew since.
      if (!glCopied.has(c) || glDirty.has(c)) checkCanvas(c);
    }
    for (const root of roots.adoptedChanged()) markProp(root, PROP.adopted);
    roots.prune();
  }

  function checkCanvas(c: HTMLCanvasElement): void {
    glDirty.delete(c);
    glSentAt.set(c, performance.now());
    const pixels = canvasProp(c)?.[PROP.canvas];
    if (pixels && pixels !== canvasPixels.get(c)) {
      canvasPixels.set(c, pixels);
      markProp(c, PROP.canvas);
    }
  }

  /** WebGL canvases whose frames were copied at least once, and those drawn since last read. */
  const glCopied = new WeakSet<HTMLCanvasElement>();
  const glDirty = new Set<HTMLCanvasElement>();
  const glSentAt = new WeakMap<HTMLCanvasElement, number>();
  const glRestores: (() => void)[] = [];
  const glWindows = new WeakSet<Window>();
  /**
   * Watches a window's WebGL draws from when the first canvas of its document is mirrored: only draws on mirrored
   * canvases count anyway, and most pages have none. Reaching WebGLRenderingContext.prototype and its WebGL 2 twin
   * makes Chromium build both (about 3-5 ms of the page's main thread, 2026-12-07), which a capture start paid on
   * every page before.
   */
  function watchGl(w: Window & typeof globalThis): void {
    if (glWindows.has(w)) return;
    glWindows.add(w);
    const restores = watchWebGl(
      w,
      (c) => canvases.has(c),
      (c) => {
        glCopied.add(c);
        glDirty.add(c);
        // The first frame after a quiet spell goes at once; then at most one per CANVAS_INTERVAL_MS (tick).
        if (performance.now() - (glSentAt.get(c) ?? -Infinity) >= CANVAS_INTERVAL_MS) checkCanvas(c);
      },
    );
    glRestores.push(...restores);
  }

  /**
   * Runs `fn` in a task of its own, right after the page's pending work: a
   * message, because nested timeouts are clamped to 4 ms and would stretch a
   * sliced snapshot by half.
   */
  const channel = messageChannel();
  const queued: (() => void)[] = [];
  if (channel) channel.port1.onmessage = () => queued.shift()?.();
  function later(fn: () => void): void {
    queued.push(fn);
    // A page without a working MessageChannel gets timeouts: slower, still right.
    if (channel) channel.port2.postMessage(0);
    else pristine.setTimeout(() => queued.shift()?.(), 0);
  }

  const listen = { capture: true, passive: true } as const;
  win.addEventListener('resize', onResize, listen);
  const ticker = pristine.setInterval(tick, CANVAS_INTERVAL_MS);
  snapshot();

  return {
    snapshot,
    nodeOf: (id) => findNode(doc, ids, id),
    idOf: (node) => ids.get(node),
    protection: (el) => masker.protection(el),
    relays: () => ({ ...resources.stats }),
    stop() {
      stopped = true;
      walking = null;
      scanGeneration++;
      observer.disconnect();
      roots.stop();
      pristine.clearInterval(ticker);
      glRestores.forEach((r) => r());
      glDirty.clear();
      channel?.port1.close();
      win.removeEventListener('resize', onResize, listen);
      scheduled = false;
    },
  };
}
