/**
 * The packed form of DomEvent[] (FrameFlag.Packed): the same events with the
 * strings a page repeats thousands of times — tag names, attribute names,
 * attribute values (class lists, icon paths, `aria-hidden="true"`), short
 * texts (prices, labels, the whitespace between tags) — sent once and then as
 * their index in the stream's string table. Deflate alone only
 * finds a repeat within its last 32 KB; on a 1.6 MB page the snapshot's JSON
 * goes from 1.74 MB to 1.2 MB (rrweb's: 3.6 MB) and its deflated size under
 * the page's own gzipped HTML.
 *
 * The table is implicit: both sides append every string that may be interned
 * (length 2..PACK_MAX_LENGTH, in a tag, attribute or text position, while the
 * table has room) the first time it travels as a literal, in the order the
 * events are written: each event in turn; in an element, its tag, then each
 * attribute's name and value, then its children in order (a text child is a
 * string); in a mutation batch, the added subtrees (`a`), then the attribute
 * changes (`at`: name, value), then the text changes (`tx`). A number in those
 * positions is an index into the table. Comments are never packed. The table starts empty at each
 * keyframe, with the deflate context, so a receiver can start from any keyframe.
 *
 * Wire form of an element: [tag, attrs, ...children] where attrs is 0 or a flat
 * array [name, value, name, value, ...] and a text child is a string or an
 * index; an attribute change is [id, name, value | null]; a text change
 * [id, text]. Everything else is as in DomEvent.
 */
import type { Attrs, DomEvent, MutationBatch, SerializedElement, SerializedNode } from './dom.js';
import { limits } from './limits.js';

/** Strings longer than this are always sent as they are (data URLs, CSS, long texts stay out of the table). */
export const PACK_MAX_LENGTH = 256;
/** The table stops growing here: at most about 12.8 million characters held per stream. */
export const PACK_MAX_ENTRIES = 50_000;

const SNAPSHOT = 0;
const MUTATIONS = 1;

const internable = (s: string) => s.length >= 2 && s.length <= PACK_MAX_LENGTH;

/** The sender's side: one per stream, from a keyframe on. */
export class Packer {
  private readonly table = new Map<string, number>();

  pack(events: readonly DomEvent[]): unknown[] {
    return events.map((e) => {
      if (e[0] === SNAPSHOT) return [SNAPSHOT, { ...e[1], root: this.node(e[1].root) }];
      if (e[0] === MUTATIONS) return [MUTATIONS, this.batch(e[1])];
      return e;
    });
  }

  private ref(s: string): string | number {
    const i = this.table.get(s);
    if (i !== undefined) return i;
    if (internable(s) && this.table.size < PACK_MAX_ENTRIES) this.table.set(s, this.table.size);
    return s;
  }

  private batch(b: MutationBatch): unknown {
    const out: Record<string, unknown> = { ...b };
    if (b.a) out.a = b.a.map(([parent, before, firstId, node]) => [parent, before, firstId, this.node(node)]);
    if (b.at) out.at = b.at.map(([id, name, value]) => [id, this.ref(name), value === null ? null : this.ref(value)]);
    if (b.tx) out.tx = b.tx.map(([id, text]) => [id, this.ref(text)]);
    return out;
  }

  /** Recursive: a snapshot is as deep as the page, and the page's own nesting is bounded by the browser's parser and by capture. */
  private node(n: SerializedNode): unknown {
    if (typeof n === 'string') return this.ref(n);
    if (n[0] === '#') return n;
    const out: unknown[] = [this.ref(n[0])];
    const attrs = (n as SerializedElement)[1];
    if (attrs === 0) out.push(0);
    else {
      const flat: (string | number)[] = [];
      for (const name in attrs) flat.push(this.ref(name), this.ref(attrs[name]!));
      out.push(flat);
    }
    for (let i = 2; i < n.length; i++) out.push(this.node(n[i] as SerializedNode));
    return out;
  }
}

/** Thrown for a packed payload that is not well formed: the receiver drops the frame and asks for a keyframe. */
export class PackError extends Error {
  readonly code = 'PACK_MALFORMED';
}

/**
 * The receiver's side: one per stream, from a keyframe on. Checks the shape only where packing changed it (the
 * rebuild checks the rest as before); a bad index or a misshapen element throws PackError.
 */
export class Unpacker {
  private readonly table: string[] = [];
  /** Characters the current frame's references stand for: a short reference to a long string is an amplifier. */
  private expanded = 0;

  unpack(value: unknown): DomEvent[] {
    if (!isList(value)) throw new PackError('not an array of events');
    this.expanded = 0;
    return value.map((e: unknown) => {
      if (!isList(e)) return e as DomEvent;
      if (e[0] === SNAPSHOT && isRecord(e[1])) return [SNAPSHOT, { ...e[1], root: this.node(e[1].root) }] as DomEvent;
      if (e[0] === MUTATIONS && isRecord(e[1])) return [MUTATIONS, this.batch(e[1])] as DomEvent;
      return e as DomEvent;
    });
  }

  private str(v: unknown): string {
    if (typeof v === 'string') {
      if (internable(v) && this.table.length < PACK_MAX_ENTRIES) this.table.push(v);
      return v;
    }
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < this.table.length) {
      const s = this.table[v]!;
      // As bounded as an inflated frame: references cannot expand a frame past what its bytes could hold.
      if ((this.expanded += s.length) > limits.maxInflatedFrameBytes) throw new PackError('references expand past the frame limit');
      return s;
    }
    throw new PackError('a string reference is out of the table');
  }

  private batch(b: Record<string, unknown>): MutationBatch {
    // Typed as the batch it becomes; the rebuild checks what packing did not change.
    const out: Record<string, unknown> = { ...b };
    if (b.a !== undefined) {
      if (!isList(b.a)) throw new PackError('additions are not a list');
      out.a = b.a.map((add: unknown) => {
        if (!isList(add) || add.length !== 4) throw new PackError('an addition is misshapen');
        return [add[0], add[1], add[2], this.node(add[3])];
      });
    }
    if (b.at !== undefined) {
      if (!isList(b.at)) throw new PackError('attribute changes are not a list');
      out.at = b.at.map((c: unknown) => {
        if (!isList(c) || c.length !== 3) throw new PackError('an attribute change is misshapen');
        return [c[0], this.str(c[1]), c[2] === null ? null : this.str(c[2])];
      });
    }
    if (b.tx !== undefined) {
      if (!isList(b.tx)) throw new PackError('text changes are not a list');
      out.tx = b.tx.map((c: unknown) => {
        if (!isList(c) || c.length !== 2) throw new PackError('a text change is misshapen');
        return [c[0], this.str(c[1])];
      });
    }
    return out;
  }

  /**
   * Iterative, so a hostile sender's deep nesting cannot exhaust the stack here (JSON.parse already took it);
   * each wire element becomes its DomEvent form in place (the arrays are the frame's own, fresh from JSON.parse),
   * children in order.
   */
  private node(root: unknown): SerializedNode {
    const holder: unknown[] = [root];
    // Two stacks side by side, not a pair per node: a snapshot has tens of thousands of nodes.
    const lists: unknown[][] = [holder];
    const slots: number[] = [0];
    while (lists.length) {
      const list = lists.pop()!;
      const i = slots.pop()!;
      const n = list[i];
      if (typeof n === 'string' || typeof n === 'number') {
        list[i] = this.str(n); // a text node
        continue;
      }
      if (!isList(n) || n.length < 2) throw new PackError('a node is misshapen');
      if (n[0] === '#') continue; // a comment: ['#', text]
      n[0] = this.str(n[0]);
      const flat: unknown = n[1];
      if (flat !== 0) {
        if (!isList(flat) || flat.length % 2 !== 0) throw new PackError('attributes are misshapen');
        const attrs = new AttrsRecord() as Attrs;
        for (let k = 0; k < flat.length; k += 2) attrs[this.str(flat[k])] = this.str(flat[k + 1]);
        n[1] = attrs;
      }
      // Children are pushed last-first so they pop, and take their table entries, in document order.
      for (let c = n.length - 1; c >= 2; c--) {
        lists.push(n);
        slots.push(c);
      }
    }
    return holder[0] as SerializedNode;
  }
}

/**
 * An element's attributes as the unpacker makes them: an object with nothing above it (no Object.prototype, so a
 * "__proto__" or "constructor" attribute is an own key like any other) that V8 still keeps in its fast form, which an
 * Object.create(null) object is not: the rebuild reads and walks every one (about 22,000 on the 1.6 MB bench page).
 */
const AttrsRecord = (() => {
  class Record {}
  Object.setPrototypeOf(Record.prototype, null);
  Reflect.deleteProperty(Record.prototype, 'constructor');
  return Record;
})();

const isList = (v: unknown): v is unknown[] => Array.isArray(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !isList(v);
