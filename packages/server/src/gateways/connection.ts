/**
 * What every WebSocket gateway does the same way: bound the rate, parse and
 * validate JSON control messages, answer problems with a coded error, and
 * negotiate the protocol version.
 */
import type { WebSocket } from 'ws';
import {
  closeCodes,
  errorBody,
  isJsonMessage,
  limits,
  negotiateVersion,
  type ErrorCode,
} from '@tandem/protocol';

export function sendJson(ws: WebSocket, msg: object): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}

export function sendError(ws: WebSocket, code: ErrorCode, detail?: string): void {
  sendJson(ws, { t: 'error', ...errorBody(code, detail) });
}

/** Forwards a bus message to a socket as it is: JSON as text, DOM frames as binary. */
export function forward(ws: WebSocket, message: Uint8Array): void {
  if (ws.readyState === ws.OPEN) ws.send(message, { binary: !isJsonMessage(message) });
}

export type Parsed<T> = { ok: true; msg: T } | { ok: false };

/** Parses and validates one text message, answering the client when it is wrong. */
export function parseControl<T>(ws: WebSocket, data: Buffer, validate: (v: unknown) => string | null): Parsed<T> {
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
  const problem = validate(value);
  if (problem) {
    sendError(ws, 'TDM_BAD_MESSAGE', problem);
    return { ok: false };
  }
  return { ok: true, msg: value as T };
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

/** Closes a flooding client; the one client pays, never its session's others. */
export function closeRateLimited(ws: WebSocket): void {
  sendError(ws, 'TDM_RATE_LIMITED');
  ws.close(closeCodes.rateLimited, 'TDM_RATE_LIMITED');
}

/** Recognises the session-ended message without parsing every DOM frame. */
export function isEnded(message: Uint8Array): boolean {
  return message.length < 64 && message[0] === 0x7b && Buffer.from(message).toString().startsWith('{"t":"ended"');
}
