/**
 * Capture: serializes a document, then observes it and reports changes as
 * DomEvent batches, at most one per animation frame. No network here: the
 * caller decides where events go.
 */
import { DOCUMENT_ID, EventType, type DomEvent, type Snapshot } from '@tandem/protocol';
import { diffRecords } from './changes.js';
import { Masker, maskText, type MaskOptions } from './mask.js';
import { NodeIds, Serializer } from './serialize.js';

export type { MaskOptions } from './mask.js';
export { IGNORE_ATTR } from './serialize.js';

export interface CaptureOptions {
  mask?: MaskOptions;
  /** Receives each batch of events, in order. The first batch holds the snapshot. */
  emit: (events: DomEvent[], keyframe: boolean) => void;
  /** Called once a full snapshot has been emitted completely (it may take several batches). */
  onSnapshotComplete?: () => void;
}

export interface Capture {
  /** Sends a fresh full snapshot (an agent joined or lost frames). */
  snapshot(): void;
  stop(): void;
}

/** Batches left in the background (no animation frames) still flush this often. */
const FALLBACK_FLUSH_MS = 100;

export function startCapture(doc: Document, options: CaptureOptions): Capture {
  const win = doc.defaultView!;
  const masker = new Masker(options.mask);
  let ids = new NodeIds(DOCUMENT_ID + 1);
  let serializer = new Serializer(ids, masker);
  let records: MutationRecord[] = [];
  let pending: DomEvent[] = [];
  const scrolls = new Map<number, [number, number]>();
  let pointer: [number, number] | null = null;
  let scheduled = false;

  const observer = new MutationObserver((list) => {
    for (const r of list) records.push(r);
    schedule();
  });

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    win.requestAnimationFrame(flush);
    win.setTimeout(flush, FALLBACK_FLUSH_MS);
  }

  function flush(): void {
    if (!scheduled) return;
    scheduled = false;
    for (const r of observer.takeRecords()) records.push(r);
    const events: DomEvent[] = [];
    if (records.length) {
      const batch = diffRecords(records, doc, ids, serializer, masker);
      records = [];
      if (batch) events.push([EventType.Mutations, batch]);
    }
    events.push(...pending);
    pending = [];
    for (const [id, [x, y]] of scrolls) events.push([EventType.Scroll, id, x, y]);
    scrolls.clear();
    if (pointer) events.push([EventType.Pointer, pointer[0], pointer[1]]);
    pointer = null;
    if (events.length) options.emit(events, false);
  }

  function snapshot(): void {
    // Pending changes are part of the state the snapshot describes.
    observer.takeRecords();
    records = [];
    pending = [];
    scrolls.clear();
    ids = new NodeIds(DOCUMENT_ID + 1);
    serializer = new Serializer(ids, masker);
    const firstId = ids.peek();
    const root = serializer.node(doc.documentElement, false);
    const snap: Snapshot = {
      url: doc.location.href,
      base: doc.baseURI,
      title: doc.title,
      quirks: doc.compatMode === 'BackCompat',
      width: win.innerWidth,
      height: win.innerHeight,
      firstId,
      root: root as Snapshot['root'],
    };
    const events: DomEvent[] = [[EventType.Snapshot, snap]];
    events.push([EventType.Scroll, DOCUMENT_ID, win.scrollX, win.scrollY]);
    for (const el of Array.from(doc.querySelectorAll('*'))) {
      if (el.scrollTop || el.scrollLeft) {
        const id = ids.get(el);
        if (id !== undefined && el !== doc.documentElement) events.push([EventType.Scroll, id, el.scrollLeft, el.scrollTop]);
      }
    }
    options.emit(events, true);
    options.onSnapshotComplete?.();
  }

  function onInput(e: Event): void {
    const el = e.target as Element;
    const id = ids.get(el);
    if (id === undefined) return;
    const field = el as HTMLInputElement;
    if (field.type === 'radio' && field.name) {
      // Checking one radio unchecks the others of its group without any event.
      for (const r of Array.from(doc.querySelectorAll<HTMLInputElement>('input[type=radio]'))) {
        const rid = ids.get(r);
        if (r.name === field.name && rid !== undefined) pending.push([EventType.Input, rid, r.checked]);
      }
    } else if (field.type === 'checkbox' || field.type === 'radio') {
      pending.push([EventType.Input, id, field.checked]);
    } else if ('value' in field) {
      const value = masker.isMasked(el) ? maskText(field.value) : field.value;
      pending.push([EventType.Input, id, value]);
    }
    schedule();
  }

  function onScroll(e: Event): void {
    const target = e.target as Node;
    if (target === doc) {
      scrolls.set(DOCUMENT_ID, [win.scrollX, win.scrollY]);
    } else {
      const id = ids.get(target);
      if (id === undefined) return;
      scrolls.set(id, [(target as Element).scrollLeft, (target as Element).scrollTop]);
    }
    schedule();
  }

  function onPointer(e: PointerEvent): void {
    pointer = [Math.round(e.clientX), Math.round(e.clientY)];
    schedule();
  }

  function onResize(): void {
    pending.push([EventType.Viewport, win.innerWidth, win.innerHeight]);
    schedule();
  }

  const listen = { capture: true, passive: true } as const;
  doc.addEventListener('input', onInput, listen);
  doc.addEventListener('change', onInput, listen);
  doc.addEventListener('scroll', onScroll, listen);
  doc.addEventListener('pointermove', onPointer, listen);
  win.addEventListener('resize', onResize, listen);
  observer.observe(doc, { childList: true, subtree: true, attributes: true, characterData: true });
  snapshot();

  return {
    snapshot,
    stop() {
      observer.disconnect();
      doc.removeEventListener('input', onInput, listen);
      doc.removeEventListener('change', onInput, listen);
      doc.removeEventListener('scroll', onScroll, listen);
      doc.removeEventListener('pointermove', onPointer, listen);
      win.removeEventListener('resize', onResize, listen);
      scheduled = false;
    },
  };
}
