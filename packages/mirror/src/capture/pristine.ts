/**
 * The page's own copies of the globals capture relies on, as the browser made
 * them. Frameworks replace some (Salesforce Lightning wraps MutationObserver,
 * zone.js wraps timers and promises, analytics wrap fetch), and a wrapper that
 * throws or filters would stop capture or make it lie. Each is taken when this
 * module loads, if it still is the browser's own; one a page replaced before
 * that is taken from a fresh about:blank frame's window when capture starts
 * (a MutationObserver made there keeps observing this page's nodes after the
 * frame is gone). What cannot be recovered that way (timers, MessageChannel:
 * a removed frame's never fire) falls back to the page's version.
 *
 * Not protected: the DOM methods and getters capture reads on every node
 * (getAttributeNames, getAttribute, childNodes, localName…): replacing those
 * breaks the page itself, and reading them through saved descriptors would
 * cost the hot path of a snapshot.
 */
type Win = Window & typeof globalThis;

// eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call on the function to test
const fnToString = Function.prototype.toString;

export function isNative(fn: unknown): boolean {
  if (typeof fn !== 'function') return false;
  try {
    return /\{\s*\[native code\]\s*\}\s*$/.test(fnToString.call(fn));
  } catch {
    return false;
  }
}

export interface Pristine {
  MutationObserver: typeof MutationObserver;
  MessageChannel: typeof MessageChannel;
  requestAnimationFrame: (cb: FrameRequestCallback) => number;
  setTimeout: (fn: () => void, ms?: number) => number;
  setInterval: (fn: () => void, ms?: number) => number;
  clearInterval: (id: number) => void;
  queueMicrotask: (fn: () => void) => void;
  fetch: typeof fetch;
}

const win: Win | undefined = typeof window === 'undefined' ? undefined : window;

/** `w`'s own `name` if it still is the browser's; methods of the window are bound to it (they must be called on it). */
function take<T>(w: Win | undefined, name: keyof Pristine): T | undefined {
  const value: unknown = w && Reflect.get(w, name);
  if (!isNative(value)) return undefined;
  // Constructors are used as they are.
  return (/^[A-Z]/.test(name) ? value : (value as (...a: unknown[]) => unknown).bind(w)) as T;
}

const loaded = {
  MutationObserver: take<typeof MutationObserver>(win, 'MutationObserver'),
  MessageChannel: take<typeof MessageChannel>(win, 'MessageChannel'),
  requestAnimationFrame: take<Pristine['requestAnimationFrame']>(win, 'requestAnimationFrame'),
  setTimeout: take<Pristine['setTimeout']>(win, 'setTimeout'),
  setInterval: take<Pristine['setInterval']>(win, 'setInterval'),
  clearInterval: take<Pristine['clearInterval']>(win, 'clearInterval'),
  queueMicrotask: take<Pristine['queueMicrotask']>(win, 'queueMicrotask'),
  fetch: take<typeof fetch>(win, 'fetch'),
};

/** Filled by `resolvePristine`; until then, the copies taken at load or the page's own. */
export const pristine: Pristine = {
  MutationObserver: loaded.MutationObserver ?? (win?.MutationObserver as typeof MutationObserver),
  MessageChannel: loaded.MessageChannel ?? (win?.MessageChannel as typeof MessageChannel),
  requestAnimationFrame: loaded.requestAnimationFrame ?? ((cb) => win!.requestAnimationFrame(cb)),
  setTimeout: loaded.setTimeout ?? ((fn, ms) => win!.setTimeout(fn, ms)),
  setInterval: loaded.setInterval ?? ((fn, ms) => win!.setInterval(fn, ms)),
  clearInterval: loaded.clearInterval ?? ((id) => win!.clearInterval(id)),
  queueMicrotask: loaded.queueMicrotask ?? ((fn) => void Promise.resolve().then(fn)),
  fetch: loaded.fetch ?? ((...a: Parameters<typeof fetch>) => win!.fetch(...a)),
};

/**
 * Called when capture starts: replaces what the page had already swapped
 * before this module loaded with the same from the page's window now, or (for
 * MutationObserver) from a fresh frame, where that works once the frame is
 * gone; what neither gives stays the page's version.
 */
export function resolvePristine(doc: Document): void {
  const page = doc.defaultView as Win;
  for (const name of Object.keys(loaded) as (keyof Pristine)[]) {
    if (loaded[name]) continue;
    const value = take(page, name) ?? (name === 'MutationObserver' ? freshMutationObserver(doc) : undefined);
    if (value) (pristine as unknown as Record<string, unknown>)[name] = value;
  }
}

/**
 * The MutationObserver of an about:blank frame, added and removed at once: it
 * must be read while the frame is attached (a removed frame's window has no
 * properties left), and observers made from it still report afterwards.
 */
function freshMutationObserver(doc: Document): typeof MutationObserver | null {
  const frame = doc.createElement('iframe');
  frame.setAttribute('aria-hidden', 'true');
  frame.style.display = 'none';
  try {
    // Append through the prototype: the page may have replaced appendChild too.
    Node.prototype.appendChild.call(doc.documentElement, frame);
    const ctor = (frame.contentWindow as Win | null)?.MutationObserver;
    return isNative(ctor) ? ctor! : null;
  } catch {
    return null;
  } finally {
    frame.remove();
  }
}
