/**
 * `@tandem/protocol/schema`: the schemas themselves, the validators and the
 * AsyncAPI document. For the server and tests: browser code imports the types
 * from `@tandem/protocol` and never this entry, so TypeBox stays out of its bundles.
 */
import { agentToServer, busMessages, controllerToServer, presenceToServer, visitorToServer } from './channels.js';
import { SessionEvent, sessionEvents } from './events.js';
import { Identity, agentActions, inkKinds } from './common.js';
import { messageValidator, schemaChecker } from './validate.js';

export * from './common.js';
export * from './channels.js';
export * from './events.js';
export * from './rest.js';
export * from './rest-watch.js';
export * from './rest-keys.js';
export * from './rest-webhooks.js';
export * from './rest-audit.js';
export * from './validate.js';
export { asyncApiDocument } from './asyncapi.js';

/** A session event is checked against the shape its `name` declares. */
const eventsByName = { field: null, key: 'name', table: sessionEvents };

export const validateVisitorMessage = messageValidator(visitorToServer);
export const validateAgentMessage = messageValidator(agentToServer, {
  action: { field: 'a', key: 'k', table: agentActions },
  ink: { field: 'a', key: 'k', table: inkKinds },
});
export const validatePresenceMessage = messageValidator(presenceToServer);
export const validateControllerMessage = messageValidator(controllerToServer);
/** What arrives from the bus is checked too: a cluster's Redis is a network peer like any other. */
export const validateBusMessage = messageValidator(busMessages, { event: eventsByName });
export const checkSessionEvent = schemaChecker(SessionEvent);
export const checkIdentity = schemaChecker(Identity);
