/**
 * The validators the server runs on every message it receives. The message
 * type is looked up as an own property of a table without a prototype, so no
 * name a client chooses (`__proto__`, `constructor`, `toString`…) can reach
 * anything but a declared message; each message then has exactly its fields.
 */
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { MessageOf, MessageTable } from './channels.js';

export type Validated<T> = { ok: true; msg: T } | { ok: false; problem: string };
export type MessageValidator<T> = (value: unknown) => Validated<T>;

/** A validator for one schema: null when the value fits, else the first problem, said briefly. */
export function schemaChecker(schema: TSchema): (value: unknown) => string | null {
  const compiled = Compile(schema);
  return (value) => {
    if (compiled.Check(value)) return null;
    const errors = compiled.Errors(value);
    // A field that has no business there is said first, by name; "schema is false" only repeats it at the field's path.
    const first = errors.find((e) => e.keyword === 'additionalProperties') ?? errors.find((e) => e.message !== 'schema is false') ?? errors[0];
    if (!first) return 'not valid';
    const where = first.instancePath ? `${first.instancePath.slice(1).replaceAll('/', '.')}: ` : '';
    const extra = (first.params as { additionalProperties?: unknown }).additionalProperties;
    if (first.keyword === 'additionalProperties' && Array.isArray(extra)) return `${where}unexpected field "${String(extra[0])}"`;
    return `${where}${first.message}`;
  };
}

/**
 * A field of a message that is itself one of several shapes, told apart by
 * its own discriminant (an agent's action by `k`): checked against the shape
 * its discriminant names, so the problem said is that shape's, not the union's.
 */
export interface NestedTable {
  /** The field that holds the shape; null: the message itself (a session event, by `name`). */
  field: string | null;
  key: string;
  table: MessageTable;
}

function ownString(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

function lookup(table: MessageTable): Record<string, (value: unknown) => string | null> {
  const byName = Object.create(null) as Record<string, (value: unknown) => string | null>;
  for (const name of Object.keys(table)) byName[name] = schemaChecker(table[name]!);
  return byName;
}

/** Validates one direction of a channel: by `t`, then by the shape declared for it. */
export function messageValidator<T extends MessageTable>(table: T, nested: Record<string, NestedTable> = {}): MessageValidator<MessageOf<T>> {
  const byType = lookup(table);
  const inner = Object.create(null) as Record<string, { field: string | null; key: string; byName: ReturnType<typeof lookup> }>;
  for (const t of Object.keys(nested)) inner[t] = { ...nested[t]!, byName: lookup(nested[t]!.table) };
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'expected an object' };
    const t = ownString(value, 't');
    if (t === undefined || !Object.hasOwn(byType, t)) return { ok: false, problem: 'unknown message type' };
    if (Object.hasOwn(inner, t)) {
      const { field, key, byName } = inner[t]!;
      const part = field === null ? value : Object.hasOwn(value, field) ? (value as Record<string, unknown>)[field] : undefined;
      const name = ownString(part, key);
      const where = field === null ? '' : `${field}: `;
      if (name === undefined || !Object.hasOwn(byName, name)) return { ok: false, problem: `${where}unknown ${key}` };
      const problem = byName[name]!(part);
      if (problem !== null) return { ok: false, problem: `${where}${problem}` };
    }
    const problem = byType[t]!(value);
    return problem === null ? { ok: true, msg: value as MessageOf<T> } : { ok: false, problem };
  };
}
