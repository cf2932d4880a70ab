/**
 * Every string the visitor sees, by key. Sites replace any of them through
 * `Tandem('init', { strings: { key: 'text' } })`. `{code}`, `{agents}`,
 * `{agent}`, `{mode}` are filled in. The states follow the set contact-centre
 * products document (connecting, ready, connected, waiting for agent,
 * disconnected, ended, sync required, connection error), so a site moving from
 * one of them maps its texts one to one. README lists the keys.
 */
export const defaultStrings = {
  consentTitle: 'Share this tab with support?',
  consentBody:
    'A support agent will see this tab of our site, live, to help you. Passwords and private fields stay hidden. You can stop at any time.',
  consentMode: 'The agent will be able to {mode}.',
  consentAccept: 'Share',
  consentDecline: 'Not now',
  connecting: 'Connecting…',
  ready: 'Sharing your screen',
  codeLabel: 'Your code',
  waitingForAgent: 'Read this code to the support agent. Waiting for them to join…',
  connected: 'Sharing this tab with {agents}',
  disconnected: 'Disconnected',
  reconnecting: 'Connection lost. Reconnecting…',
  connectionError: 'Could not connect to support. Please try again.',
  ended: 'Sharing ended.',
  syncRequired: 'Synchronization required',
  syncInfo: 'You are sharing another tab of this site. Click Synchronize to share this tab instead.',
  syncButton: 'Synchronize',
  stop: 'Stop sharing',
  minimize: 'Minimize',
  expand: 'Show sharing panel',
  modeLabel: 'The agent can',
  modeView: 'see and point',
  modeNavigate: 'see, point and browse',
  modeControl: 'see, point, browse and fill in',
  modeRequest: '{agent} asks to {mode}.',
  modeAllow: 'Allow',
  modeDecline: 'Decline',
  inviteTitle: 'Support would like to see this tab',
  inviteBody: '{agent} invites you to share this tab of our site, live. Passwords and private fields stay hidden. You can stop at any time.',
} as const;

export type StringKey = keyof typeof defaultStrings;
export type Strings = Record<StringKey, string>;

/** Object.hasOwn, which Safari before 15.4 lacks. */
const own = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

export function resolveStrings(custom: Record<string, string> | undefined): Strings {
  const out: Strings = { ...defaultStrings };
  for (const key of Object.keys(custom ?? {})) {
    // Own keys only: `constructor` or `__proto__` in a site's strings is not one of ours.
    if (own(defaultStrings, key) && typeof custom![key] === 'string') out[key as StringKey] = custom![key]!;
  }
  return out;
}

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (own(values, k) ? values[k]! : m));
}

const MODE_KEYS = { view: 'modeView', navigate: 'modeNavigate', control: 'modeControl' } as const;

export function modeText(strings: Strings, mode: keyof typeof MODE_KEYS): string {
  return strings[MODE_KEYS[mode]];
}
