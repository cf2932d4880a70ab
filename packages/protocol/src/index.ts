// Values every side may use; the message types come from the schemas as types
// only, so no browser bundle carries TypeBox (see `@tandem/protocol/schema`).
export * from './version.js';
export * from './limits.js';
export * from './errors.js';
export * from './frame.js';
export * from './dom.js';
export * from './dom-pack.js';
export * from './control.js';
export * from './embed.js';
export * from './start-message.js';
export type {
  AgentAction,
  AgentInfo,
  Ink,
  InkShown,
  TextRange,
  EndReason,
  Hello,
  Identity,
  PlatformInfo,
  SessionAgent,
  SiteMasking,
} from './schema/common.js';
export type {
  AgentToServer,
  BusMessage,
  ControllerToServer,
  PresenceToServer,
  ServerToAgent,
  ServerToController,
  ServerToPresence,
  ServerToVisitor,
  VisitorToServer,
} from './schema/channels.js';
export type { SessionEvent, SessionEventInput, SessionEventName } from './schema/events.js';
export type * from './schema/rest.js';
export type * from './schema/rest-watch.js';
export type * from './schema/rest-keys.js';
export type * from './schema/rest-audit.js';
export type * from './schema/rest-webhooks.js';
