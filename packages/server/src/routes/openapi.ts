/**
 * What each REST route declares in the OpenAPI document besides its shapes:
 * who may call it and every error it can answer. A route wraps its schema:
 *
 *     api.get('/api/v1/sessions/:id', {
 *       schema: describe(
 *         { auth: ['agentCookie', 'apiKey'], errors: ['TDM_NOT_FOUND'] },
 *         { tags: ['sessions'], summary: 'One session', params: IdParams, response: { 200: SessionDetail } },
 *       ),
 *     }, handler);
 *
 * - `auth`: the credentials it accepts — `agentCookie` (the console's sign-in), `apiKey`
 *   (`Authorization: Bearer tdm_…`), `none`. Several mean any of them; `none` beside
 *   others means the credential is optional. Without `none`, TDM_UNAUTHORIZED (401) is listed.
 * - `errors`: the codes its handler can `fail(…)` with. Each becomes a response for its
 *   status (from `errors.ts`), as an `application/problem+json` Problem whose `code` is one
 *   of the codes listed for that status.
 * - Listed for every route without asking: TDM_BAD_MESSAGE (400: the address, query or body
 *   does not fit the schema), TDM_HEADERS_TOO_LARGE (431) and TDM_INTERNAL (500); for a route
 *   with a path parameter TDM_NOT_FOUND (404: a value longer than any the server gives); for the
 *   methods that carry a body (POST, PUT, PATCH, DELETE) TDM_BAD_JSON (400), TDM_TOO_LARGE (413)
 *   and TDM_UNSUPPORTED_MEDIA_TYPE (415). Fastify answers these before the handler runs.
 *
 * test/server/contract.test.ts calls every documented route and fails on an answer whose
 * status (or code) is not declared here, and on an /api/ route that is not described.
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { errors, PROBLEM_MEDIA_TYPE, type ErrorCode } from '@tandem/protocol';
import { ErrorBody } from '@tandem/protocol/schema';
import { Type } from 'typebox';

/** `watchGrant`: the bearer grant the watch page got for a watch URL (routes/watch.ts). */
export type Auth = 'none' | 'agentCookie' | 'apiKey' | 'watchGrant';

export interface RouteContract {
  auth: readonly Auth[];
  errors?: readonly ErrorCode[];
}

/** The schema id of the shared Problem: `#/components/schemas/Problem` in the document. */
const PROBLEM_ID = 'Problem';
const ALWAYS: readonly ErrorCode[] = ['TDM_BAD_MESSAGE', 'TDM_HEADERS_TOO_LARGE', 'TDM_INTERNAL'];
const WITH_BODY: readonly ErrorCode[] = ['TDM_BAD_JSON', 'TDM_TOO_LARGE', 'TDM_UNSUPPORTED_MEDIA_TYPE'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A 204's response: no body. */
export const NoContent = Type.Unsafe<undefined>({ type: 'null', description: 'Done; no body.' });

const contracts = new WeakMap<object, RouteContract>();

/** Marks a route's schema with its contract; `documentRoutes` writes it into the schema as the route is added. */
export function describe<S extends FastifySchema>(contract: RouteContract, schema: S): S {
  contracts.set(schema, contract);
  return schema;
}

/** Whether a schema was made by `describe` (the contract test checks every /api/ route is). */
export const isDescribed = (schema: unknown): boolean => typeof schema === 'object' && schema !== null && contracts.has(schema);

export interface RouteSeen {
  method: string;
  url: string;
  hidden: boolean;
  described: boolean;
}

/**
 * On the root instance, before any route: registers the shared Problem schema and completes
 * each described route's schema (security, error responses) as fastify adds it. Returns
 * every route added, for the contract test to compare with the document.
 */
export function documentRoutes(app: FastifyInstance): RouteSeen[] {
  app.addSchema({ ...ErrorBody, $id: PROBLEM_ID, title: 'Problem' });
  const seen: RouteSeen[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema;
    const methods = [route.method].flat();
    for (const method of methods)
      seen.push({ method, url: route.url, hidden: schema?.hide === true, described: !!schema && contracts.has(schema) });
    const contract = schema && contracts.get(schema);
    if (!schema || !contract) return;
    schema.security = security(contract.auth);
    const codes = new Set<ErrorCode>([...ALWAYS, ...(contract.errors ?? [])]);
    if (!contract.auth.includes('none')) codes.add('TDM_UNAUTHORIZED');
    if (methods.some((m) => BODY_METHODS.has(m))) for (const code of WITH_BODY) codes.add(code);
    if (route.url.includes('/:')) codes.add('TDM_NOT_FOUND');
    schema.response = { ...(schema.response as object), ...problemResponses([...codes]) };
  });
  return seen;
}

function security(auth: readonly Auth[]): Record<string, string[]>[] {
  // OpenAPI: a list of alternatives, {} among them meaning "no credential"; an empty list, none needed.
  if (auth.every((a) => a === 'none')) return [];
  return auth.map((a) => (a === 'none' ? {} : { [a]: [] }));
}

/** One response per status, its Problem's `code` narrowed to the codes listed for that status. */
function problemResponses(codes: ErrorCode[]): Record<number, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(errors[code].status, [...(byStatus.get(errors[code].status) ?? []), code]);
  const out: Record<number, unknown> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    list.sort();
    out[status] = {
      description: list.map((code) => `${code}: ${errors[code].message}`).join(' | '),
      content: {
        [PROBLEM_MEDIA_TYPE]: {
          schema: { allOf: [{ $ref: `${PROBLEM_ID}#` }, { type: 'object', properties: { code: { enum: list } } }] },
        },
      },
    };
  }
  return out;
}
