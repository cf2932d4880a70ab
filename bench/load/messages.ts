/** What the load benchmark's coordinator and its simulator processes say to each other over the IPC channel. */

export interface NodeTarget {
  /** http://127.0.0.1:port */
  url: string;
  /** The agent's sign-in cookie on this node (one sign-in per node: the login throttle allows few per account). */
  cookie: string;
}

export interface SessionPlan {
  index: number;
  /** Which of `nodes` the visitor uses, and which the agent. */
  visitorNode: number;
  agentNode: number;
  /** The loopback address the visitor's connections come from (session starts are limited per address). */
  localAddress: string;
}

export interface TrafficPlan {
  seed: number;
  snapshotBytes: number;
  /** Average frames per second of each kind, per session, while active. */
  changeHz: number;
  pointerHz: number;
  scrollHz: number;
  /** Sessions opening at once in this simulator. */
  openConcurrency: number;
  /** Limit for one session to open (start, both sockets, keyframe at the agent). */
  openTimeoutMs: number;
  /** Against the bare relay (bench/load/bare-relay.ts): sockets only, no REST, no tickets. */
  control: boolean;
}

export type ToSimulator =
  | { t: 'open'; nodes: NodeTarget[]; sessions: SessionPlan[]; traffic: TrafficPlan }
  /** Start sending; `mark` resets the counters (after a warm-up); `stop` ends the window and asks for the figures. */
  | { t: 'start' }
  | { t: 'mark' }
  | { t: 'stop' }
  | { t: 'close' };

export interface WindowStats {
  seconds: number;
  /** Visitor change-to-agent times in ms, one per frame that arrived in the window. */
  latencies: number[];
  /** Frames sent in the window whose agent never got them before `stop` (or got them out of order). */
  lost: number;
  framesSent: number;
  /** Visitor upstream in the window: WebSocket payload bytes and estimated wire bytes (frame headers and masks). */
  payloadBytes: number;
  wireBytes: number;
  /** Sessions whose sockets closed unexpectedly, with the reasons. */
  dropped: number;
  errors: string[];
  /** This simulator's own load: if it is saturated, the latencies include its queueing. */
  loopDelayP99Ms: number;
  cpuPercent: number;
  /** Share of the window this simulator's main thread was runnable but waiting for a CPU (/proc schedstat). */
  cpuWaitPercent: number;
}

export type FromSimulator =
  | { t: 'ready' }
  | { t: 'opened'; ok: number; failed: number; errors: string[]; keyframeBytes: number; keyframeRawBytes: number; openMs: number[] }
  | { t: 'started' }
  | { t: 'stats'; stats: WindowStats }
  | { t: 'fatal'; error: string };
