/**
 * Every string the visitor sees, by key. Sites replace any of them through
 * `Tandem('init', { strings: { key: 'text' } })`. `{code}`, `{agents}` are filled in.
 */
export const defaultStrings = {
  consentTitle: 'Share this tab with support?',
  consentBody:
    'A support agent will see this tab of our site, live, to help you. Passwords and private fields stay hidden. You can stop at any time.',
  consentAccept: 'Share',
  consentDecline: 'Not now',
  connecting: 'Connecting…',
  codeLabel: 'Your code',
  waitingForAgent: 'Read this code to the support agent. Waiting for them to join…',
  connected: 'Sharing this tab with {agents}',
  reconnecting: 'Connection lost. Reconnecting…',
  connectionError: 'Could not connect to support. Please try again.',
  ended: 'Sharing ended.',
  stop: 'Stop sharing',
} as const;

export type StringKey = keyof typeof defaultStrings;
export type Strings = Record<StringKey, string>;

export function resolveStrings(custom: Record<string, string> | undefined): Strings {
  const out: Strings = { ...defaultStrings };
  for (const key of Object.keys(custom ?? {})) {
    if (key in out && typeof custom![key] === 'string') out[key as StringKey] = custom![key]!;
  }
  return out;
}

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
}
