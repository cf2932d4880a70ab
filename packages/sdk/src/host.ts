/**
 * The contract between the loader (on every page) and the session bundle
 * (loaded when a session starts). The loader publishes a Host on the window
 * under a registered symbol; the session bundle hands back its SessionApi.
 */
import type { Identity, Mode } from '@tandem/protocol';
import type { MaskOptions } from '@tandem/mirror/capture';

export interface TandemConfig {
  siteKey?: string;
  /** The site's own id for this visitor (a customer number): agents and integrations find the visitor by it. */
  uniqueId?: string;
  identity?: Identity;
  masking?: MaskOptions;
  /** Replaces UI strings by key; see strings.ts in the session bundle. */
  strings?: Record<string, string>;
  /** What agents may do when a session starts (default view); the visitor can grant more. */
  mode?: Mode;
  /**
   * Other host names of the site the session follows the visitor to, besides
   * this page's origin: "shop.example.com", or "*.example.com" for every sub-domain.
   */
  allowedDomains?: string[];
  /**
   * Presence: while on the site, the visitor is listed to the site's agents
   * (identity, page, platform) and can be invited. Off by default; the site's
   * settings on the server must allow it too.
   */
  presence?: boolean;
  /** Where the visitor's panel starts (they can drag it), and whether the shared tab gets a coloured frame. */
  ui?: UiOptions;
}

export interface UiOptions {
  /** Default bottom-right. */
  position?: 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left';
  /** Default true: a frame around the viewport while the tab is shared. */
  frame?: boolean;
}

/**
 * Events a site can listen to with `Tandem('on', name, callback)`:
 * sessionRequest (the consent prompt opens), sessionStart ({ code }),
 * agentJoined ({ id, name }), modeChanged ({ mode }), sessionEnd.
 */
export type TandemEvent = 'sessionRequest' | 'sessionStart' | 'agentJoined' | 'modeChanged' | 'sessionEnd';

export interface SessionApi {
  start(): void;
  /** Presence is on: tell the server this visitor is here, and listen for invites. */
  presence(): void;
  resume(): void;
  stop(): void;
  /**
   * Calls back with the visitor's short id (sites with presence on): stable for this browser,
   * before and during a session; what an integration asks a watch URL for. Null without presence.
   */
  getShortId(cb: (shortId: string | null) => void): void;
  /** Calls back with the running session's code (what the visitor reads out to join by code), or null. */
  getSessionCode(cb: (code: string | null) => void): void;
  /**
   * Calls back with the start message (`{start:123456}`) once there is a code, or null when no
   * session is starting: a chat widget sends it, and the agent's desktop joins from it.
   */
  getStartMessage(cb: (message: string | null) => void): void;
  /**
   * Calls back with the address at which a signed-in agent watches this
   * session (for an integration that opens it from its own system), or null.
   */
  getWatchLink(cb: (link: string | null) => void): void;
  /** The site learned more about the visitor (they signed in): agents see the new name at once. */
  updateIdentity(identity: Identity): void;
}

export interface Host {
  /** Origin of the Tandem server (where the loader came from). */
  server: string;
  config: TandemConfig;
  emit(event: TandemEvent, data?: unknown): void;
  /** Called by the session bundle once it has loaded. */
  attach(api: SessionApi): void;
}

export const HOST_KEY = Symbol.for('tandem.host');
/** sessionStorage key that carries a live session to the next page of the tab. */
export const STORAGE_KEY = 'tandem:session';
/** The query parameter that carries a one-time hand-off token to another of the site's domains. */
export const HANDOFF_PARAM = 'tandem_handoff';
/** localStorage key: the session some tab of this origin shares now, and when that tab last said so (`at`). */
export const LIVE_KEY = 'tandem:live';
/** The live tab refreshes its record this often. */
export const LIVE_BEAT_MS = 5000;
/** A live record older than this is from a tab that is gone. */
export const LIVE_STALE_MS = 3 * LIVE_BEAT_MS;

/**
 * The identity the server is given: the fields it knows and nothing else a page put
 * beside them, since the server refuses an unknown field rather than drop it.
 */
export function identityOf(config: TandemConfig): Identity {
  const given: Identity = { ...(config.uniqueId ? { uniqueId: config.uniqueId } : {}), ...config.identity };
  const out: Identity = {};
  for (const key of ['name', 'email', 'uniqueId', 'signature'] as const) if (given[key] !== undefined) out[key] = given[key];
  return out;
}
