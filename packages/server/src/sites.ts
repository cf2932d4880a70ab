/**
 * Per-site settings an operator changes without touching the site's pages:
 * masking rules added to the page's own, the mode a session starts in, and
 * whether presence is allowed. Kept in the store's settings (`site:<key>`),
 * cached here; a change to the masking rules reaches live visitors at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MODES, type Identity, type Mode, type SiteMasking } from '@tandem/protocol';
import { SITE_KEY_PATTERN } from '@tandem/protocol/schema';
import { encode } from './live/wire.js';
import { SITES_ADDED, SITES_CHANGED, toSite, type Bus } from './bus/bus.js';
import type { SiteRecord, Store } from './store/store.js';
import { fail } from './http-errors.js';
import { SecretBox } from './auth/secret-box.js';

export interface SiteSettings {
  /** The mode a session starts in when the page's `init` names none. */
  defaultMode: Mode;
  /** Visitors may be listed to agents while on the site (the page must turn it on too). */
  presence: boolean;
  /** Origins of agent desktops that may frame the watch page (its frame-ancestors). */
  agentDesktopOrigins: string[];
  masking: Required<SiteMasking>;
}

export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  defaultMode: 'view',
  presence: false,
  agentDesktopOrigins: [],
  masking: { selectors: [], blockSelectors: [] },
};

export interface SitePatch {
  defaultMode?: Mode;
  presence?: boolean;
  agentDesktopOrigins?: string[];
  masking?: SiteMasking;
}

/** A key not in the cached list makes a reload at most this often (a site added by the CLI). */
const RELOAD_AFTER_MISS_MS = 2_000;

/** On a store without sites (a first start, or an upgrade), the configured keys become the sites. */
export async function ensureSites(store: Store, keys: readonly string[]): Promise<void> {
  if ((await store.listSites()).length > 0) return;
  for (const key of keys) await store.createSite({ key, name: key, createdAt: new Date().toISOString() });
}

/** Adds a site; a key already taken is a conflict. */
export async function createSite(store: Store, key: string, name?: string): Promise<SiteRecord> {
  if (!new RegExp(SITE_KEY_PATTERN).test(key)) fail('TDM_BAD_MESSAGE', 'A site key has 1 to 100 letters, digits, - or _.');
  if ((await store.listSites()).some((s) => s.key === key)) fail('TDM_CONFLICT', `The site ${key} already exists.`);
  const site = { key, name: name?.trim() || key, createdAt: new Date().toISOString() };
  await store.createSite(site);
  return site;
}

export class Sites {
  private readonly cache = new Map<string, SiteSettings>();

  /** The site keys in the store, cached: `known` is asked on every handshake and must not wait. */
  private keys = new Set<string>();
  private lastReload = 0;

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    /** TANDEM_SITE_KEYS: the sites created when the store has none. */
    private readonly seedKeys: readonly string[],
    /** Seals identity secrets at rest (a key derived from the server secret). */
    private readonly box: SecretBox,
  ) {}

  /** Listens for changes made on other nodes of a cluster (their caches and ours must agree). */
  async start(): Promise<void> {
    await ensureSites(this.store, this.seedKeys);
    await this.reload();
    await this.bus.subscribe(SITES_ADDED, () => void this.reload());
    await this.bus.subscribe(SITES_CHANGED, (message, lost) => {
      // A change another node announced may be among what was lost: every cached copy goes.
      if (lost) {
        this.cache.clear();
        this.secrets.clear();
      }
      const key = Buffer.from(message).toString('utf8');
      this.cache.delete(key);
      this.secrets.delete(key);
    });
  }

  known(key: string): boolean {
    if (this.keys.has(key)) return true;
    if (Date.now() - this.lastReload > RELOAD_AFTER_MISS_MS) void this.reload();
    return false;
  }

  list(): Promise<SiteRecord[]> {
    return this.store.listSites();
  }

  async create(key: string, name?: string): Promise<SiteRecord> {
    const site = await createSite(this.store, key, name);
    this.keys.add(site.key);
    await this.bus.publish(SITES_ADDED, Buffer.from(site.key, 'utf8'));
    return site;
  }

  private async reload(): Promise<void> {
    this.lastReload = Date.now();
    this.keys = new Set((await this.store.listSites()).map((s) => s.key));
  }

  async settings(key: string): Promise<SiteSettings> {
    const cached = this.cache.get(key);
    if (cached) return cached;
    const raw = await this.store.getSetting(`site:${key}`);
    const settings = raw ? { ...DEFAULT_SITE_SETTINGS, ...(JSON.parse(raw) as Partial<SiteSettings>) } : DEFAULT_SITE_SETTINGS;
    this.cache.set(key, settings);
    return settings;
  }

  /**
   * Every origin an admin allowed to frame the watch page, over all sites, plus the server's
   * own list (TANDEM_AGENT_DESKTOP_ORIGINS): the page is the same for every site, and which
   * session it will show is not known when it is served.
   */
  async desktopOrigins(configured: readonly string[]): Promise<string[]> {
    const all = new Set(configured);
    for (const key of this.keys) for (const o of (await this.settings(key)).agentDesktopOrigins) all.add(o);
    return [...all];
  }

  /** The settings as last loaded (`settings` loads them): for code that must not wait. */
  current(key: string): SiteSettings {
    return this.cache.get(key) ?? DEFAULT_SITE_SETTINGS;
  }

  /**
   * A new identity secret for the site (the old one stops verifying). The
   * site's server signs each visitor's unique id with it; it is shown once.
   */
  async rotateIdentitySecret(key: string): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const name = `site-secret:${key}`;
    await this.store.setSetting(name, this.box.seal(secret, name));
    await this.bus.publish(SITES_CHANGED, Buffer.from(key, 'utf8'));
    this.secrets.set(key, secret);
    return secret;
  }

  /**
   * The identity as the server will believe it. When the site has an identity
   * secret, a unique id counts only with a valid signature (an unsigned or
   * forged one is dropped: it could claim another customer); `verified` says so.
   * Without a secret, the unique id is what the page claims.
   */
  async checkIdentity(key: string, identity: Identity): Promise<Identity & { verified: boolean }> {
    const { signature, ...claimed } = identity;
    if (!claimed.uniqueId) return { ...claimed, verified: false };
    const secret = await this.secret(key);
    if (secret === null) return { ...claimed, verified: false };
    const expected = createHmac('sha256', secret).update(claimed.uniqueId).digest();
    const given = Buffer.from(signature ?? '', 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ...claimed, verified: true };
    const { uniqueId: _dropped, ...rest } = claimed;
    return { ...rest, verified: false };
  }

  private async secret(key: string): Promise<string | null> {
    if (this.secrets.has(key)) return this.secrets.get(key)!;
    const name = `site-secret:${key}`;
    const stored = await this.store.getSetting(name);
    let secret: string | null = null;
    if (stored !== undefined && !SecretBox.isSealed(stored)) {
      // Written in plain text by an older release: sealed now, so the database stops showing it.
      secret = stored;
      await this.store.setSetting(name, this.box.seal(stored, name));
    } else if (stored !== undefined) {
      // Unopenable (the server secret changed): a random secret verifies no one, rather than
      // believing every unique id as a site without a secret would.
      secret = this.box.open(stored, name) ?? randomBytes(32).toString('base64url');
    }
    this.secrets.set(key, secret);
    return secret;
  }

  private readonly secrets = new Map<string, string | null>();

  async update(key: string, patch: SitePatch): Promise<SiteSettings> {
    const before = await this.settings(key);
    const next: SiteSettings = {
      defaultMode: patch.defaultMode && MODES.includes(patch.defaultMode) ? patch.defaultMode : before.defaultMode,
      presence: patch.presence ?? before.presence,
      // Kept as origins exactly (the schema checked the shape; new URL drops a path or a trailing slash).
      agentDesktopOrigins: patch.agentDesktopOrigins
        ? [...new Set(patch.agentDesktopOrigins.map((o) => new URL(o).origin))]
        : before.agentDesktopOrigins,
      masking: patch.masking
        ? {
            selectors: patch.masking.selectors ?? before.masking.selectors,
            blockSelectors: patch.masking.blockSelectors ?? before.masking.blockSelectors,
          }
        : before.masking,
    };
    await this.store.setSetting(`site:${key}`, JSON.stringify(next));
    await this.bus.publish(SITES_CHANGED, Buffer.from(key, 'utf8'));
    this.cache.set(key, next);
    if (JSON.stringify(next.masking) !== JSON.stringify(before.masking)) {
      await this.bus.publish(toSite(key), encode.visitor({ t: 'masking', masking: next.masking }));
    }
    return next;
  }
}
