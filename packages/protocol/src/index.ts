export * from './version.js';
export * from './limits.js';
export * from './errors.js';
export * from './messages.js';
export * from './frame.js';
export * from './dom.js';
export * from './check.js';
export * from './control.js';
