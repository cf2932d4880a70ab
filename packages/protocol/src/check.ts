/**
 * A few runtime type guards, small enough that the protocol package keeps no
 * dependencies. Each checker returns null when the value fits, or a short
 * description of the first thing that does not.
 */
export type Checker = (value: unknown) => string | null;

export const str =
  (max: number, min = 0): Checker =>
  (v) =>
    typeof v !== 'string' ? 'expected a string' : v.length > max || v.length < min ? `string length must be ${min}..${max}` : null;

export const num =
  (min = -1e9, max = 1e9): Checker =>
  (v) =>
    typeof v !== 'number' || !Number.isFinite(v) ? 'expected a number' : v < min || v > max ? `number must be ${min}..${max}` : null;

export const int =
  (min: number, max: number): Checker =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? null : `expected an integer ${min}..${max}`;

export const bool: Checker = (v) => (typeof v === 'boolean' ? null : 'expected a boolean');

export const oneOf =
  (...values: readonly (string | number)[]): Checker =>
  (v) =>
    values.includes(v as string) ? null : `expected one of ${values.join(', ')}`;

export const optional =
  (c: Checker): Checker =>
  (v) =>
    v === undefined ? null : c(v);

export const arrayOf =
  (c: Checker, maxItems: number): Checker =>
  (v) => {
    if (!Array.isArray(v)) return 'expected an array';
    if (v.length > maxItems) return `at most ${maxItems} items`;
    for (let i = 0; i < v.length; i++) {
      const e = c(v[i]);
      if (e) return `[${i}]: ${e}`;
    }
    return null;
  };

/** An object with exactly these keys (unknown keys are refused, so nothing rides along unchecked). */
export const shape =
  (fields: Record<string, Checker>): Checker =>
  (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object';
    for (const key of Object.keys(v)) if (!(key in fields)) return `unexpected field "${key}"`;
    for (const [key, c] of Object.entries(fields)) {
      const e = c((v as Record<string, unknown>)[key]);
      if (e) return `${key}: ${e}`;
    }
    return null;
  };
