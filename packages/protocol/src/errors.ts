/**
 * Every error a client can see, declared once: a stable code, the HTTP status
 * used when it is answered over REST, and a sentence a person understands.
 */
export const errors = {
  TDM_BAD_MESSAGE: { status: 400, message: 'The message is not valid for this channel.' },
  TDM_BAD_JSON: { status: 400, message: 'The message is not valid JSON.' },
  TDM_TOO_LARGE: { status: 413, message: 'The message is larger than the server accepts.' },
  TDM_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as JSON (Content-Type: application/json).' },
  TDM_HEADERS_TOO_LARGE: { status: 431, message: 'The request’s address or headers are larger than the server accepts.' },
  TDM_RATE_LIMITED: { status: 429, message: 'Too many messages; slow down.' },
  TDM_BAD_VERSION: { status: 400, message: 'No protocol version in common with the server.' },
  TDM_NOT_READY: { status: 400, message: 'Send hello before any other message.' },
  TDM_NOT_JOINED: { status: 409, message: 'Join a session first.' },
  TDM_SEQ_GAP: { status: 400, message: 'A frame arrived out of sequence; a fresh snapshot is needed.' },
  TDM_UNAUTHORIZED: { status: 401, message: 'Sign in or present a valid ticket or API key.' },
  TDM_FORBIDDEN: { status: 403, message: 'This origin or account may not do that.' },
  TDM_BAD_CREDENTIALS: { status: 401, message: 'Email or password is wrong.' },
  TDM_ACCOUNT_DISABLED: { status: 403, message: 'This agent account is disabled; ask an admin.' },
  TDM_CONFLICT: { status: 409, message: 'That conflicts with what exists.' },
  TDM_UNKNOWN_CODE: { status: 404, message: 'No active session has this code. Check the digits with the visitor.' },
  TDM_NOT_FOUND: { status: 404, message: 'Not found.' },
  TDM_SESSION_ENDED: { status: 410, message: 'This session has ended.' },
  TDM_CONSENT_NEEDED: { status: 409, message: 'The visitor did not come from the page that handed the session over: ask them again.' },
  TDM_UNKNOWN_SITE: { status: 404, message: 'No site has this site key.' },
  TDM_LINK_SPENT: { status: 410, message: 'This link was already used: a watch link opens the session once. Ask for a new one.' },
  TDM_LINK_EXPIRED: { status: 410, message: 'This link has expired. Ask for a new one.' },
  TDM_VISITOR_GONE: { status: 404, message: 'The visitor is no longer on the site.' },
  TDM_CONSENT_DECLINED: { status: 403, message: 'The visitor declined to share their screen.' },
  TDM_NO_ANSWER: { status: 410, message: 'The visitor did not answer the request to share in time.' },
  TDM_INTERNAL: { status: 500, message: 'Something went wrong on the server.' },
} as const;

export type ErrorCode = keyof typeof errors;
export const ERROR_CODES = Object.keys(errors) as ErrorCode[];

/** A WebSocket `error` message's members (REST answers a `problem` instead). */
export function errorBody(code: ErrorCode, detail?: string): { code: ErrorCode; message: string } {
  return { code, message: detail ? `${errors[code].message} ${detail}` : errors[code].message };
}

/** The media type of every REST error (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/**
 * A problem's `type`: one URI reference per code. Relative on purpose: resolved against
 * the server's own address it opens that code's entry on the server's `/api/docs`, since
 * a self-hosted server has no other address it knows to be its own. Clients branch on `code`.
 */
export const problemType = (code: ErrorCode): string => `/api/docs#${code}`;

/** Which input is at fault: `field` is a JSON pointer into the request (`/body/agent/name`, `/query/limit`, `/path/id`). */
export interface FieldProblem {
  field: string;
  problem: string;
}

/** What a REST error may carry beyond the members every problem has. */
export interface ProblemExtra {
  /** The HTTP status when it is not the code's own (a 4xx fastify answers without a code of ours). */
  status?: number;
  /** The request's path: this occurrence. */
  instance?: string;
  errors?: FieldProblem[];
  /** With TDM_SESSION_ENDED: how the session ended, when the store knows. */
  endReason?: string;
}

/**
 * Every REST error, as RFC 9457 problem details: `type`, `title` (the code's sentence, the same
 * every time), `status`, `detail` (what this occurrence says, or the title when nothing more),
 * plus `code` and `message` (title and detail as one sentence), the members clients read before
 * problem details existed, and the extension members given (`errors`, `endReason`: declare a new
 * one in ProblemExtra and in the schema, `ErrorBody` in `schema/rest.ts`).
 */
export function problem(code: ErrorCode, detail?: string, extra: ProblemExtra = {}) {
  const { status = errors[code].status, instance, ...extensions } = extra;
  const title: string = errors[code].message;
  return {
    type: problemType(code),
    title,
    status,
    detail: detail ?? title,
    ...(instance === undefined ? {} : { instance }),
    code,
    message: detail ? `${title} ${detail}` : title,
    ...extensions,
  };
}
