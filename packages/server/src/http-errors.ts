/**
 * REST errors: routes `fail(code, detail)`; whatever is thrown — by a route or by
 * fastify before the route ran — is answered here, in one shape: RFC 9457 problem
 * details (`problem` in the protocol's errors.ts), as application/problem+json.
 */
import type { FastifyReply } from 'fastify';
import { errors, problem, PROBLEM_MEDIA_TYPE, type EndReason, type ErrorCode, type FieldProblem } from '@tandem/protocol';

export const PROBLEM_CONTENT_TYPE = `${PROBLEM_MEDIA_TYPE}; charset=utf-8`;

/** What an error may say beyond its code and sentence (declared in the protocol's ErrorBody). */
export interface ErrorExtra {
  /** With TDM_SESSION_ENDED: how the session ended, when the store knows. */
  endReason?: EndReason;
  /** With a watch link's errors: where the integrator offers to try again (branding.retry_url). */
  retryUrl?: string;
  /** The inputs at fault, when a route checks more than its schema can (`/body/visitorId`). */
  errors?: FieldProblem[];
}

/** An error answered to the client as a problem with the code's status. */
export class TandemError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(detail ? `${errors[code].message} ${detail}` : errors[code].message);
    this.statusCode = errors[code].status;
  }
}

export const fail = (code: ErrorCode, detail?: string, extra?: ErrorExtra): never => {
  throw new TandemError(code, detail, extra);
};

export type Problem = ReturnType<typeof problem>;

/**
 * Sends a problem. As text: a route's response schemas must not pick members out of
 * it, and the status is the problem's own.
 */
export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** The request's path, as the problem's `instance`; left out when absurdly long. */
export function instanceOf(url: string): string | undefined {
  const path = url.split('?', 1)[0]!;
  return path.length <= 2048 ? path : undefined;
}

/** What fastify throws: its own errors carry a code and a status; validation errors, ajv's findings. */
interface FrameworkError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: AjvError[];
  validationContext?: string;
}
interface AjvError {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** The problem for anything a route or fastify threw; `internal` when it is our fault (500, to be logged). */
export function problemFor(err: unknown, instance?: string): { body: Problem; internal: boolean } {
  if (err instanceof TandemError) return { body: problem(err.code, err.detail, { instance, ...err.extra }), internal: false };
  const e = err as FrameworkError;
  if (Array.isArray(e.validation)) {
    const fields = fieldProblems(PLACES.get(e.validationContext ?? '') ?? '', e.validation);
    const detail = fields.map((f) => `${f.field} ${f.problem}.`).join(' ') || e.message;
    return { body: problem('TDM_BAD_MESSAGE', detail, { instance, errors: fields }), internal: false };
  }
  // Two nodes (or two requests) creating the same thing at once: each checked it was free, the database
  // took one. Answered as the check would have answered the second; logged, as nothing else should get here.
  if (uniqueViolation(err)) return { body: problem('TDM_CONFLICT', undefined, { instance }), internal: true };
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status === 500) return { body: problem('TDM_INTERNAL', undefined, { instance }), internal: true };
  const code = frameworkCode(e.code, status);
  return { body: problem(code, e.message, { instance, status }), internal: false };
}

/** SQLite's and PostgreSQL's (23505) refusal of a second row with the same unique key. */
export function uniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function frameworkCode(fastifyCode: string | undefined, status: number): ErrorCode {
  switch (fastifyCode) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'TDM_BAD_JSON';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'TDM_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'TDM_UNSUPPORTED_MEDIA_TYPE';
  }
  return status === 404 ? 'TDM_NOT_FOUND' : status === 413 ? 'TDM_TOO_LARGE' : status === 415 ? 'TDM_UNSUPPORTED_MEDIA_TYPE' : 'TDM_BAD_MESSAGE';
}

/** Where in the request each of fastify's validation contexts points. */
const PLACES = new Map([
  ['body', '/body'],
  ['querystring', '/query'],
  ['params', '/path'],
  ['headers', '/header'],
]);
const MAX_FIELDS = 10;
const MAX_FIELD_CHARS = 300;

/** ajv's findings as JSON pointers into the request: `/body/agent/name`, `/query/limit`. */
function fieldProblems(place: string, found: AjvError[]): FieldProblem[] {
  return found.slice(0, MAX_FIELDS).map((e) => {
    let pointer = `${place}${e.instancePath ?? ''}`;
    let problemText = e.message ?? 'is not valid';
    // ajv points at the object that lacks or has too much; the field itself is in its params.
    const missing = e.params?.missingProperty;
    const extra = e.params?.additionalProperty;
    if (e.keyword === 'required' && typeof missing === 'string') {
      pointer += `/${escapePointer(missing)}`;
      problemText = 'is required';
    } else if (e.keyword === 'additionalProperties' && typeof extra === 'string') {
      pointer += `/${escapePointer(extra)}`;
      problemText = 'is not allowed here';
    }
    return { field: clip(pointer), problem: clip(problemText) };
  });
}

const escapePointer = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');
const clip = (s: string) => (s.length > MAX_FIELD_CHARS ? `${s.slice(0, MAX_FIELD_CHARS)}…` : s);

/**
 * ajv coerces a query's "1e999" to Infinity and lets it through `maximum` (its check runs on the string it
 * coerced from), so a number of a query is checked to be finite once validation is done: a `limit` of
 * Infinity would otherwise reach the store.
 */
export function refuseInfiniteQuery(query: unknown): void {
  if (typeof query !== 'object' || query === null) return;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      const field = clip(`/query/${escapePointer(name)}`);
      throw new TandemError('TDM_BAD_MESSAGE', `${field} must be a finite number.`, { errors: [{ field, problem: 'must be a finite number' }] });
    }
  }
}
