/**
 * Everything capture observes: the top document, open shadow roots and the
 * documents of same-origin iframes. Each root gets the MutationObserver and the
 * event listeners that do not cross its boundary (scroll, change, toggle and
 * media events are not composed).
 */
import { PROP } from '@tandem/protocol';
import { afterCall, afterSet, type Restore } from './patch.js';
import { watchCssom } from './styles.js';

export type RootListener = (e: Event) => void;

const OBSERVE: MutationObserverInit = { childList: true, subtree: true, attributes: true, characterData: true };
const LISTEN = { capture: true, passive: true } as const;

export class Roots {
  readonly all = new Set<Document | ShadowRoot>();
  private readonly windows = new Set<Window>();
  private readonly restores: (Restore | null)[] = [];
  private lastAdopted = new WeakMap<Document | ShadowRoot, readonly CSSStyleSheet[]>();

  constructor(
    private readonly observer: MutationObserver,
    private readonly events: Record<string, RootListener>,
    /** A stylesheet changed through the CSSOM: its owner node, or the constructed sheet itself. */
    private readonly cssDirty: (owner: Node | CSSStyleSheet) => void,
    /** A shadow root was attached to an element after the snapshot. */
    private readonly shadowAttached: (root: ShadowRoot) => void,
    /** A form field's state was set by script (no event tells), or a root's adopted sheets were replaced. */
    private readonly propertySet: (node: Node, prop: string) => void,
  ) {}

  watch(root: Document | ShadowRoot): void {
    if (this.all.has(root)) return;
    this.all.add(root);
    this.lastAdopted.set(root, root.adoptedStyleSheets ?? []);
    this.observer.observe(root, OBSERVE);
    for (const [type, fn] of Object.entries(this.events)) root.addEventListener(type, fn, LISTEN);
    const win = (root.nodeType === 9 ? (root as Document) : root.ownerDocument)?.defaultView;
    if (win && !this.windows.has(win)) this.watchWindow(win);
  }

  /** Roots whose adopted stylesheets changed since last asked (pushes to the array call no setter). */
  adoptedChanged(): (Document | ShadowRoot)[] {
    const out: (Document | ShadowRoot)[] = [];
    for (const root of this.all) {
      const now = root.adoptedStyleSheets ?? [];
      const before = this.lastAdopted.get(root) ?? [];
      if (now.length !== before.length || now.some((s, i) => s !== before[i])) {
        this.lastAdopted.set(root, [...now]);
        out.push(root);
      }
    }
    return out;
  }

  /** Roots that adopt this constructed sheet. */
  adopting(sheet: CSSStyleSheet): (Document | ShadowRoot)[] {
    return [...this.all].filter((r) => r.adoptedStyleSheets?.includes(sheet));
  }

  /** Forgets roots that left the page (a removed host, a navigated iframe). */
  prune(): void {
    for (const root of this.all) {
      const connected = root.nodeType === 9 ? (root as Document).defaultView !== null : (root as ShadowRoot).host.isConnected;
      if (!connected) this.unwatch(root);
    }
  }

  stop(): void {
    for (const root of [...this.all]) this.unwatch(root);
    this.restores.forEach((r) => r?.());
    this.restores.length = 0;
    this.windows.clear();
  }

  private unwatch(root: Document | ShadowRoot): void {
    for (const [type, fn] of Object.entries(this.events)) root.removeEventListener(type, fn, LISTEN);
    this.all.delete(root);
  }

  private watchWindow(win: Window & typeof globalThis): void {
    this.windows.add(win);
    this.restores.push(watchCssom(win, this.cssDirty));
    // Shadow roots attached after the snapshot: observe them and send them.
    const attached = this.shadowAttached;
    this.restores.push(
      afterCall<Element>(win.Element?.prototype, 'attachShadow', (_el, root, args) => {
        if ((args[0] as ShadowRootInit).mode === 'open') attached(root as ShadowRoot);
      }),
    );
    // Frameworks set form state through properties (React's controlled inputs do),
    // which fires no event: watch the setters.
    const fields: [object | undefined, string, string][] = [
      [win.HTMLInputElement?.prototype, 'value', PROP.value],
      [win.HTMLInputElement?.prototype, 'checked', PROP.checked],
      [win.HTMLInputElement?.prototype, 'indeterminate', PROP.indeterminate],
      [win.HTMLTextAreaElement?.prototype, 'value', PROP.value],
      [win.HTMLSelectElement?.prototype, 'value', PROP.selected],
      [win.HTMLSelectElement?.prototype, 'selectedIndex', PROP.selected],
      [win.HTMLOptionElement?.prototype, 'selected', PROP.selected],
      [win.Document?.prototype, 'adoptedStyleSheets', PROP.adopted],
      [win.ShadowRoot?.prototype, 'adoptedStyleSheets', PROP.adopted],
    ];
    for (const [proto, name, prop] of fields) this.restores.push(afterSet<Node>(proto, name, (node) => this.propertySet(node, prop)));
  }
}
