/**
 * Capture learns of some changes only by watching the page's own calls (CSSOM
 * edits, property setters, attachShadow). These two helpers wrap a method or a
 * setter of a prototype so `after` runs once the original has; each returns
 * the function that puts the original back, or null when there is nothing to wrap.
 */
export type Restore = () => void;

export function afterCall<T>(
  proto: object | undefined,
  name: string,
  after: (self: T, result: unknown, args: unknown[]) => void,
): Restore | null {
  const desc = proto && Object.getOwnPropertyDescriptor(proto, name);
  const original = desc?.value as ((...a: unknown[]) => unknown) | undefined;
  if (typeof original !== 'function') return null;
  Object.defineProperty(proto, name, {
    ...desc,
    value(this: T, ...args: unknown[]) {
      const result = original.apply(this, args);
      after(this, result, args);
      return result;
    },
  });
  return () => Object.defineProperty(proto, name, desc!);
}

export function afterSet<T>(proto: object | undefined, name: string, after: (self: T) => void): Restore | null {
  const desc = proto && Object.getOwnPropertyDescriptor(proto, name);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below as original.call(this, value)
  const original = desc?.set;
  if (!original) return null;
  Object.defineProperty(proto, name, {
    ...desc,
    set(this: T, value: unknown) {
      original.call(this, value);
      after(this);
    },
  });
  return () => Object.defineProperty(proto, name, desc);
}
