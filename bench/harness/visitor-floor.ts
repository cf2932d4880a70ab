/**
 * The floor of a snapshot's cost on the visitor's page: what any DOM mirror
 * that numbers nodes from script pays at the least. One pre-order walk, in one
 * task, that gives every node an id (a property under a symbol, as Tandem keeps
 * them since 2026-12-07: about a fifth cheaper than a WeakMap entry, as rrweb keeps its own, and as the floor did before)
 * and reads what a mirror cannot do without: each element's tag and attributes,
 * each text and comment. Nothing else: no masking, no form state, no styles,
 * no shadow roots or frames, no time slices, no encoding; the output is one flat
 * array. Not a recorder anyone could use: a yardstick. rrweb's record time over
 * this one's is the best capture-alone ratio a mirror built this way can reach
 * against rrweb, on this page, in this browser.
 */
import { install } from './visitor.js';

install({
  name: 'floor',
  start(snapshotDone) {
    const ID = Symbol();
    const out: (string | number)[] = [];
    let next = 1;
    const root = document.documentElement;
    let node: Node | null = root;
    while (node) {
      (node as unknown as Record<symbol, number>)[ID] = next++;
      const type = node.nodeType;
      if (type === 1) {
        const el = node as Element;
        const names = el.getAttributeNames();
        out.push(el.localName, names.length);
        for (const name of names) out.push(name, el.getAttribute(name)!);
      } else if (type === 3 || type === 8) out.push(type, (node as CharacterData).data);
      if (node.firstChild) {
        node = node.firstChild;
        continue;
      }
      // 0 closes an element: this one if it has no children, then each one left on the way up to the next sibling.
      if (type === 1) out.push(0);
      while (node !== root && !node.nextSibling) {
        node = node.parentNode!;
        out.push(0);
      }
      node = node === root ? null : node.nextSibling;
    }
    snapshotDone([out]);
    return () => {};
  },
});
