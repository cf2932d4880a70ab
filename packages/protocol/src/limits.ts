/**
 * Bounds on everything that crosses the network. The server enforces them on
 * every frame it receives; clients use them to split their own output.
 */
/** One binary DOM frame from a visitor (a snapshot slice or a batch of changes). */
export const MAX_DOM_FRAME_BYTES = 4 * 1024 * 1024;
/**
 * One DOM frame's payload once gunzipped or inflated. A receiver stops inflating past it and
 * resyncs, so a small frame cannot expand into the agent's memory (a decompression bomb).
 */
export const MAX_INFLATED_FRAME_BYTES = 32 * 1024 * 1024;
/**
 * Deepest element of a mirrored document that may have children (the document element is at depth 1; a shadow
 * root counts as a level, a nested document does not: its document element is one below the frame). Chromium's renderer crashes laying out a chain of about 3,000
 * nested blocks, and its HTML parser never nests deeper than 512: capture sends nothing below this depth, and
 * the rebuild drops what a client sends below it, so no visitor can crash an agent's console with a deep tree.
 */
export const MAX_TREE_DEPTH = 500;

/**
 * The frame bounds above are also constants of their own: the visitor's session bundle imports
 * only those, and so carries none of this object (every byte there counts against its budget).
 */
export const limits = {
  /** A JSON control message, any channel. */
  maxControlBytes: 16 * 1024,
  /** One binary DOM frame from a visitor: MAX_DOM_FRAME_BYTES. */
  maxDomFrameBytes: MAX_DOM_FRAME_BYTES,
  /** One DOM frame's payload once gunzipped or inflated: MAX_INFLATED_FRAME_BYTES. */
  maxInflatedFrameBytes: MAX_INFLATED_FRAME_BYTES,
  /** Deepest element of a mirrored document that may have children: MAX_TREE_DEPTH. */
  maxTreeDepth: MAX_TREE_DEPTH,
  /** Messages per second a visitor may send (DOM frames and control together). */
  visitorMessagesPerSecond: 200,
  /** Messages per second an agent may send (pointer moves are throttled to frames). */
  agentMessagesPerSecond: 120,
  /**
   * Bytes an agent socket may have queued (written by the server, not yet taken by the network) before
   * what a fresh snapshot or the next message makes good is dropped: DOM frames, pointers, ink,
   * selections. Its viewer is resynced once it has read back under half of this.
   */
  maxAgentBufferedBytes: 8 * 1024 * 1024,
  /** Nothing more is queued for an agent socket past this: it is closed (`tooSlow`) and the viewer reconnects. */
  closeAgentBufferedBytes: 16 * 1024 * 1024,
  /**
   * The same soft bound for a visitor socket, which gets control messages only (a few hundred KB/s at
   * most): over it, agents' pointers, ink and selections are dropped and an action is refused (`slow`).
   */
  maxVisitorBufferedBytes: 1024 * 1024,
  /** Nothing more is queued for a visitor socket past this: it is closed (`tooSlow`) and the page resumes. */
  closeVisitorBufferedBytes: 2 * 1024 * 1024,
  /** A visitor that navigates has this long to reconnect before the session ends. */
  resumeGraceMs: 30_000,
  /** A hand-off token (carrying a session to another of the site's domains) is good for this long, once. */
  handoffTtlMs: 60_000,
  /** Length of the numeric short code a visitor reads to the agent. */
  codeLength: 6,
  /** Longest text field in an identity (name, email, uniqueId). */
  maxIdentityField: 200,
} as const;

/**
 * The close codes the visitor's SDK reads, one constant each: its bundle (budget 25 KB gzipped) inlines a constant, but
 * carries the whole object below for one member of it. The same values as closeCodes'.
 */
export const CLOSE_NORMAL = 1000;
export const CLOSE_SESSION_ENDED = 4000;
export const CLOSE_RESTART = 4012;
export const CLOSE_MOVED = 4013;
export const CLOSE_TOO_SLOW = 4014;

/** WebSocket close codes used by Tandem, beside the standard 1000/1001/1008/1009. */
export const closeCodes = {
  normal: CLOSE_NORMAL,
  goingAway: 1001,
  policyViolation: 1008,
  tooLarge: 1009,
  /** The session ended; do not reconnect. */
  sessionEnded: CLOSE_SESSION_ENDED,
  /** The protocol version offered is not supported. */
  badVersion: 4001,
  /** The ticket was missing, expired or for another session. */
  unauthorized: 4003,
  /** The client sent too much too fast. */
  rateLimited: 4008,
  /** The session moved to another tab (or page) of the visitor: this one offers to take it back. */
  moved: CLOSE_MOVED,
  /** The server is shutting down: reconnect and resume elsewhere. */
  restart: CLOSE_RESTART,
  /** The client read too slowly: its queue passed the hard bound. Reconnect at once and resume from a fresh snapshot. */
  tooSlow: CLOSE_TOO_SLOW,
} as const;
