/**
 * Modes and agent actions: what an agent may do on the visitor's page, declared
 * once for the server (which checks the floor a mode sets), the visitor's SDK
 * (which decides, since only the page knows what an element is) and the viewer.
 */

/**
 * view: the agent points and highlights. navigate: also scrolls, follows links
 * and goes to the site's addresses. control: also clicks, types, selects.
 */
export const MODES = ['view', 'navigate', 'control'] as const;
export type Mode = (typeof MODES)[number];

export const modeRank: Record<Mode, number> = { view: 0, navigate: 1, control: 2 };

export const isMode = (v: unknown): v is Mode => typeof v === 'string' && (MODES as readonly string[]).includes(v);

/**
 * Agents' colours, given by the server in the order agents join a session (then
 * round again): an agent keeps its colour for the whole session, on every side,
 * so a cursor and a name in a roster match. Each is readable under white text,
 * and none is the visitor's blue (#2563eb).
 */
export const AGENT_COLORS = ['#db2777', '#7c3aed', '#0f766e', '#c2410c', '#15803d', '#a21caf', '#b45309', '#475569'] as const;

/** Keys an agent may press on the visitor's page. */
export const KEYS = [
  'Enter',
  'Tab',
  'Escape',
  'Backspace',
  'Delete',
  'ArrowUp',
  'ArrowDown',
  'ArrowLeft',
  'ArrowRight',
  'Home',
  'End',
  'PageUp',
  'PageDown',
  ' ',
] as const;
export type Key = (typeof KEYS)[number];

/** Longest text one `type` action inserts (an agent types, or pastes a paragraph). */
export const MAX_TYPED_CHARS = 2000;
/** Longest URL an agent may send the visitor to. */
export const MAX_URL_CHARS = 2048;
/** A masking rule's count of matches on a page is reported up to this (more is said as this): "many" is all an admin needs. */
export const MAX_SELECTOR_COUNT = 1_000_000;
/** Longest element path the visitor's page reports for the audit trail (`actionResult.path`). */
export const MAX_ELEMENT_PATH_CHARS = 300;
/** Points of a stroke in one ink message: the viewer sends what was drawn since the last frame. */
export const MAX_STROKE_POINTS = 64;

/**
 * The least mode each action needs (the actions themselves are declared in
 * schema/common.ts). A click needs `navigate` when it follows a link and
 * `control` otherwise: the server checks this floor, the page the rest.
 */
export const actionFloor = {
  highlight: 'view',
  click: 'navigate',
  type: 'control',
  key: 'control',
  select: 'control',
  check: 'control',
  scroll: 'navigate',
  navigate: 'navigate',
} as const satisfies Record<string, Mode>;

export type ActionKind = keyof typeof actionFloor;
// Pure: a bundle that uses neither the list nor the table it is made from (the visitor's session bundle) carries neither.
export const ACTION_KINDS = /* @__PURE__ */ Object.keys(actionFloor) as ActionKind[];

/** Why the visitor's page refused an action; the agent sees the sentence. */
export const refusals = {
  mode: 'The visitor has not allowed this in the current mode.',
  masked: 'This field is masked: agents can neither read nor change it.',
  blocked: 'This part of the page is hidden from agents.',
  noControl: 'The site does not let agents use this element.',
  url: 'This address is not one of the site’s allowed addresses.',
  gone: 'This element is no longer on the visitor’s page.',
  disabled: 'This element is disabled.',
  notEditable: 'This element does not take text.',
  notFocusable: 'This element cannot take the focus on the visitor’s page (hidden or inert).',
  consent: 'The visitor has not agreed to this.',
  holder: 'Another agent has the controls: ask them to hand over.',
  slow: 'The visitor’s connection is not keeping up: the action was not delivered. Try again in a moment.',
} as const;
export type Refusal = keyof typeof refusals;
// Pure, as ACTION_KINDS: the sentences are the agent's to read; the visitor's page sends the key only.
export const REFUSALS = /* @__PURE__ */ Object.keys(refusals) as Refusal[];
