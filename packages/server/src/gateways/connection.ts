/**
 * What every WebSocket gateway does the same way: bound the rate, parse and
 * validate JSON control messages, answer problems with a coded error, handle
 * a socket's messages one after another, and negotiate the protocol version.
 */
import type { WebSocket } from 'ws';
import { closeCodes, errorBody, limits, negotiateVersion, type ErrorCode } from '@tandem/protocol';
import type { MessageValidator } from '@tandem/protocol/schema';
import { TokenBucket } from '../token-bucket.js';
import { encode } from '../live/wire.js';
import { Outbox } from '../live/outbox.js';

/** Messages a socket may have waiting for the one before them; a client that outruns the server pays, not others. */
const MAX_QUEUED = 256;
/** A socket that has not said hello by then is closed: an open socket must be a client, not a held file descriptor. */
export const HELLO_DEADLINE_MS = 10_000;

/** Closes the socket unless `ready()` holds when the hello deadline passes. */
export function requireHello(ws: WebSocket, ready: () => boolean): void {
  const timer = setTimeout(() => {
    if (!ready()) ws.close(closeCodes.policyViolation, 'hello expected');
  }, HELLO_DEADLINE_MS);
  timer.unref();
  ws.once('close', () => clearTimeout(timer));
}

/** The session already has as many sockets of this kind on this node as it may. */
export function closeFull(ws: WebSocket): void {
  ws.close(closeCodes.policyViolation, 'too many sockets for this session');
}

/**
 * A coded error; every channel declares the same `error` message, so the visitor's encoder serves all.
 * Through the socket's outbox when it has one: a client that sends without reading must not queue answers without end.
 */
export function sendError(ws: WebSocket, code: ErrorCode, detail?: string): void {
  const bytes = encode.visitor({ t: 'error', ...errorBody(code, detail) });
  const outbox = Outbox.of(ws);
  if (outbox) outbox.send(bytes);
  else if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: false });
}

export type Parsed<T> = { ok: true; msg: T } | { ok: false };

/** Parses and validates one text message, answering the client when it is wrong. */
export function parseControl<T>(ws: WebSocket, data: Buffer, validate: MessageValidator<T>): Parsed<T> {
  if (data.length > limits.maxControlBytes) {
    sendError(ws, 'TDM_TOO_LARGE', `Control messages are limited to ${limits.maxControlBytes} bytes.`);
    return { ok: false };
  }
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    sendError(ws, 'TDM_BAD_JSON');
    return { ok: false };
  }
  const checked = validate(value);
  if (!checked.ok) {
    sendError(ws, 'TDM_BAD_MESSAGE', checked.problem);
    return { ok: false };
  }
  return checked;
}

/** Answers hello with the version to use, or closes when there is none in common. */
export function negotiate(ws: WebSocket, versions: number[]): number | null {
  const v = negotiateVersion(versions);
  if (v === null) {
    sendError(ws, 'TDM_BAD_VERSION');
    ws.close(closeCodes.badVersion, 'TDM_BAD_VERSION');
  }
  return v;
}

/**
 * Takes a socket's messages: rate-bounded on arrival, then handled one after
 * another (a handler awaits the registry; the next message waits for it, so
 * DOM frames and control messages keep their order). A handler's failure is
 * reported and answered, never thrown into the process.
 */
export function onMessages(
  ws: WebSocket,
  perSecond: number,
  burst: number | undefined,
  handle: (data: Buffer, isBinary: boolean) => void | Promise<void>,
  /** Runs after every message received before the close: a hello handled late is still undone. */
  closed: () => void | Promise<void>,
  report: (err: unknown) => void,
): void {
  const bucket = new TokenBucket(perSecond, burst);
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;
  // ws reports protocol violations (an oversized frame: 1009, bad UTF-8: 1007) here and
  // closes the socket itself with the matching code; unheard, it would end the process.
  ws.on('error', () => {});
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!bucket.take()) return closeRateLimited(ws);
    if (++queued > MAX_QUEUED) return closeRateLimited(ws);
    // Handled even when the socket closed meanwhile: a client says `end` and closes at once.
    chain = chain
      .then(() => handle(data, isBinary))
      .catch((err: unknown) => {
        report(err);
        sendError(ws, 'TDM_INTERNAL');
      })
      .finally(() => queued--);
  });
  ws.on('close', () => {
    chain = chain.then(closed).catch(report);
  });
}

/** Closes a flooding client; the one client pays, never its session's others. */
export function closeRateLimited(ws: WebSocket): void {
  if (ws.readyState !== ws.OPEN) return;
  sendError(ws, 'TDM_RATE_LIMITED');
  ws.close(closeCodes.rateLimited, 'TDM_RATE_LIMITED');
}
