/**
 * Shapes every channel shares, as TypeBox schemas: the TypeScript types come
 * from them (Static) and so do the server's validators and the AsyncAPI and
 * OpenAPI documents. Browser code imports only the types, never this file.
 */
import { Type, type Static, type TProperties } from 'typebox';
import { limits } from '../limits.js';
import {
  KEYS,
  MAX_ELEMENT_PATH_CHARS,
  MAX_SELECTOR_COUNT,
  MAX_STROKE_POINTS,
  MAX_TYPED_CHARS,
  MAX_URL_CHARS,
  MODES,
  REFUSALS,
} from '../control.js';
import { ERROR_CODES } from '../errors.js';

/** An object with exactly these fields: an unknown field is refused, so nothing rides along unchecked. */
export const Strict = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });

/** A message of a channel: its discriminant `t` and its fields. */
export const Message = <T extends string, P extends TProperties>(t: T, properties: P, description?: string) =>
  Strict({ t: Type.Literal(t), ...properties }, description);

export const Mode = Type.Enum(MODES, {
  description: 'view: point and highlight; navigate: also scroll and follow links; control: also click and type',
});
export const Id = Type.String({ minLength: 1, maxLength: 64 });
/** Site keys: what a page passes as `siteKey`, so short and plain. */
export const SITE_KEY_PATTERN = '^[A-Za-z0-9_-]{1,100}$';
export const SiteKey = Type.String({ minLength: 1, maxLength: 100, pattern: SITE_KEY_PATTERN });
export const Timestamp = Type.String({ maxLength: 40, description: 'ISO 8601 date and time' });
export const Url = Type.String({ maxLength: MAX_URL_CHARS });

/** left: the visitor went to a page outside the site's allowed domains. */
export const EndReason = Type.Enum(['visitor', 'agent', 'api', 'timeout', 'server', 'left'] as const, {
  description:
    'visitor stopped, an agent or an integration ended it, the visitor did not come back, the server ended it, the visitor left the site',
});

export const AgentInfo = Strict({ id: Id, name: Type.String({ maxLength: limits.maxIdentityField }) });
/** An agent's colour in a session (one of AGENT_COLORS, control.ts): its cursor, label and roster swatch. */
export const AgentColor = Type.String({ pattern: '^#[0-9a-f]{6}$', description: 'a CSS colour, #rrggbb' });
/** An agent as the others in a session see it: who, and in which colour (stable for the session). */
export const SessionAgent = Strict({ id: Id, name: Type.String({ maxLength: limits.maxIdentityField }), color: AgentColor });

const identityField = Type.String({ maxLength: limits.maxIdentityField });
/** Identity a visitor's site passes to `init`; bounded like every other input. */
export const Identity = Strict({
  name: Type.Optional(identityField),
  email: Type.Optional(identityField),
  uniqueId: Type.Optional(identityField),
  /** HMAC-SHA256 of `uniqueId` with the site's identity secret, hex, computed by the site's own server. */
  signature: Type.Optional(Type.String({ minLength: 64, maxLength: 64 })),
});

/** Masking rules a site's settings add to what the page's `init` gives. */
export const MAX_RULES = 100;
export const MAX_RULE_CHARS = 500;
export const Rules = Type.Array(Type.String({ minLength: 1, maxLength: MAX_RULE_CHARS }), { maxItems: MAX_RULES });
export const SiteMasking = Strict({ selectors: Type.Optional(Rules), blockSelectors: Type.Optional(Rules) });
/**
 * How many elements each of the site's rules matches on the visitor's page, in the order of the rules
 * the server sent; null for a selector the page's browser cannot parse.
 */
/** Per rule: how many elements it matches; -1 when it asks about values or state (not counted); null when it is not a selector. */
export const SelectorCounts = Type.Array(Type.Union([Type.Integer({ minimum: -1, maximum: MAX_SELECTOR_COUNT }), Type.Null()]), {
  maxItems: MAX_RULES,
});

/** What an agent sees of a visitor's browser, for look-up and support. */
export const PlatformInfo = Strict({
  browser: Type.String({ maxLength: 100 }),
  os: Type.String({ maxLength: 100 }),
  /** "1280x800": width and height in CSS px. */
  viewport: Type.String({ maxLength: 30 }),
  language: Type.String({ maxLength: 35 }),
  timeZone: Type.String({ maxLength: 64 }),
});

export const Hello = Message(
  'hello',
  { versions: Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), { minItems: 1, maxItems: 16 }) },
  'Protocol versions the client speaks; the first message on every socket.',
);

export const ErrorMessage = Message(
  'error',
  { code: Type.Enum(ERROR_CODES), message: Type.String() },
  'A coded error; the connection stays open unless a close follows.',
);

export const Ended = Message('ended', { reason: EndReason }, 'The session ended; the socket closes with 4000 next.');

// ---- agent actions --------------------------------------------------------

const node = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, description: 'id the mirror gave the element' });
const offset = Type.Integer({ minimum: -100_000, maximum: 100_000 });
const Action = <K extends string, P extends TProperties>(k: K, properties: P, description: string) =>
  Strict({ k: Type.Literal(k), ...properties }, description);

/** Each action by its kind `k`: the union below, and the agent validator's table (precise errors per kind). */
export const agentActions = {
  highlight: Action('highlight', { node }, 'Outline an element on the visitor’s page for a moment (every mode).'),
  click: Action(
    'click',
    { node, x: offset, y: offset, double: Type.Optional(Type.Boolean()) },
    'A click at x, y CSS px inside the element’s box.',
  ),
  type: Action(
    'type',
    { node, text: Type.String({ minLength: 1, maxLength: MAX_TYPED_CHARS }) },
    'Insert text at the caret, as typing, an IME or a paste would.',
  ),
  key: Action('key', { node, key: Type.Enum(KEYS), shift: Type.Optional(Type.Boolean()) }, 'Press one of the allowed keys.'),
  select: Action(
    'select',
    { node, indexes: Type.Array(Type.Integer({ minimum: 0, maximum: 100_000 }), { maxItems: 1000 }) },
    'Choose options of a <select> by index.',
  ),
  check: Action('check', { node, checked: Type.Boolean() }, 'Check or uncheck a checkbox or radio.'),
  scroll: Action(
    'scroll',
    { node, x: Type.Integer({ minimum: 0, maximum: 10_000_000 }), y: Type.Integer({ minimum: 0, maximum: 10_000_000 }) },
    'Scroll an element (or the document, node 1) to a position in CSS px.',
  ),
  navigate: Action('navigate', { url: Type.String({ minLength: 1, maxLength: MAX_URL_CHARS }) }, 'Go to an address of the site.'),
};
export const AgentAction = Type.Union(Object.values(agentActions) as [(typeof agentActions)[keyof typeof agentActions]]);

export const Refusal = Type.Enum(REFUSALS);

// ---- ink: what agents draw over the page --------------------------------------

const inkCoord = Type.Number({ minimum: -100_000, maximum: 1_000_000 });
const textOffset = Type.Integer({ minimum: 0, maximum: 10_000_000 });
/** A point in CSS px of the visitor's viewport. */
const InkPoint = Type.Tuple([inkCoord, inkCoord]);

/**
 * Ink an agent draws over the visitor's page, in CSS px of the visitor's viewport. Everyone in the
 * session sees it in the agent's colour, and it fades by itself: nothing of it is kept.
 */
export const inkKinds = {
  stroke: Action(
    'stroke',
    {
      id: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'the agent’s own counter: later points of one stroke carry its id' }),
      pts: Type.Array(InkPoint, { minItems: 1, maxItems: MAX_STROKE_POINTS }),
      end: Type.Optional(Type.Boolean()),
    },
    'Points of a freehand stroke, sent as it is drawn; end: the pen lifted (the stroke fades a moment later).',
  ),
  laser: Action('laser', { x: inkCoord, y: inkCoord }, 'The laser pointer moved; it leaves a short trail; negative x hides it.'),
  clear: Action('clear', {}, 'Clears every agent’s ink and selections, on every side.'),
};
export const Ink = Type.Union(Object.values(inkKinds) as [(typeof inkKinds)[keyof typeof inkKinds]]);
/** What the others see: the ink an agent sent, or the element it highlighted (an action of its own, shown to the other agents). */
export const inkShownKinds = { ...inkKinds, highlight: agentActions.highlight };
export const InkShown = Type.Union(Object.values(inkShownKinds) as [(typeof inkShownKinds)[keyof typeof inkShownKinds]]);

/**
 * A selection of text, by the mirror ids of the text nodes where it starts and ends and offsets in
 * their text: positions only, never the text (masked text keeps its length, so offsets stay true).
 */
export const TextRange = Strict({ start: node, so: textOffset, end: node, eo: textOffset });

/** The agent's own counter for its actions: echoed in actionResult, and links an action to its result in the session events. */
export const ActionId = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'the agent’s own counter, echoed in actionResult' });

/**
 * Where on the visitor's page an action landed, for the audit trail: a short CSS-like path made by the
 * page from tag names, ids, classes and :nth-of-type (` > ` between elements, ` / ` into a shadow root or
 * a frame, `…` where it was cut). Never text, values or other attributes: the characters allowed leave
 * no room for more than names.
 */
export const ElementPath = Type.String({
  minLength: 1,
  maxLength: MAX_ELEMENT_PATH_CHARS,
  pattern: '^[A-Za-z0-9_#.:()>/* …-]+$',
  description: 'a CSS-like path of the element, such as form#booking > input.field:nth-of-type(2)',
});

export type Mode = Static<typeof Mode>;
export type EndReason = Static<typeof EndReason>;
export type AgentInfo = Static<typeof AgentInfo>;
export type SessionAgent = Static<typeof SessionAgent>;
export type Identity = Static<typeof Identity>;
export type SiteMasking = Static<typeof SiteMasking>;
export type PlatformInfo = Static<typeof PlatformInfo>;
export type Hello = Static<typeof Hello>;
export type AgentAction = Static<typeof AgentAction>;
export type Ink = Static<typeof Ink>;
export type InkShown = Static<typeof InkShown>;
export type TextRange = Static<typeof TextRange>;
