/**
 * The start message: `{start:123456}`, a line a visitor's chat widget sends so
 * that the agent's desktop, which reads the chat, joins the session without
 * anyone copying the code (Genesys's `^\{start:\d{9}\}$`, with our code length).
 * Browser-safe: the SDK produces it, an integrator's back end recognises it.
 */
import { limits } from './limits.js';

/** The start message for a session code. */
export const startMessage = (code: string): string => `{start:${code}}`;

/**
 * The code in a start message, or null: exactly `{start:` + `codeLength` ASCII
 * digits + `}`, nothing before or after (no spaces, no other digits, no line break).
 */
export function parseStartMessage(text: string, codeLength: number = limits.codeLength): string | null {
  if (typeof text !== 'string' || !Number.isInteger(codeLength) || codeLength < 1 || text.length !== codeLength + 8) return null;
  // [0-9], not \d: a JavaScript \d is ASCII already, but a reader of the pattern should not have to know it.
  return new RegExp(`^\\{start:([0-9]{${codeLength}})\\}$`).exec(text)?.[1] ?? null;
}
