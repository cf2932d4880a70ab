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

/**
 * An action, aimed at a node by the id the mirror gave it. `x`, `y` are CSS px
 * inside the element's box (a click lands where the agent clicked).
 */
export type AgentAction =
  /** Outline an element on the visitor's page for a moment (every mode). */
  | { k: 'highlight'; node: number }
  | { k: 'click'; node: number; x: number; y: number; double?: boolean }
  /** Insert text at the caret, as typing, an IME's committed text or a paste would. */
  | { k: 'type'; node: number; text: string }
  | { k: 'key'; node: number; key: Key; shift?: boolean }
  /** Choose options of a <select> by index. */
  | { k: 'select'; node: number; indexes: number[] }
  | { k: 'check'; node: number; checked: boolean }
  /** Scroll an element (or the document, node 1) to a position in CSS px. */
  | { k: 'scroll'; node: number; x: number; y: number }
  | { k: 'navigate'; url: string };

export type ActionKind = AgentAction['k'];

/**
 * The least mode each action needs. A click needs `navigate` when it follows a
 * link and `control` otherwise: the server checks this floor, the page the rest.
 */
export const actionFloor: Record<ActionKind, Mode> = {
  highlight: 'view',
  click: 'navigate',
  type: 'control',
  key: 'control',
  select: 'control',
  check: 'control',
  scroll: 'navigate',
  navigate: 'navigate',
};

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
} as const;
export type Refusal = keyof typeof refusals;
