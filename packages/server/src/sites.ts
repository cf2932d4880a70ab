/**
 * Per-site settings an operator changes without touching the site's pages:
 * masking rules added to the page's own, the mode a session starts in, and
 * whether presence is allowed. Kept in the store's settings (`site:<key>`),
 * cached here; a change to the masking rules reaches live visitors at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MODES, type Identity, type Mode, type SiteMasking } from '@tandem/protocol';
import { encode } from './live/wire.js';
import { SITES_CHANGED, toSite, type Bus } from './bus/bus.js';
import type { Store } from './store/store.js';

export interface SiteSettings {
  /** The mode a session starts in when the page's `init` names none. */
  defaultMode: Mode;
  /** Visitors may be listed to agents while on the site (the page must turn it on too). */
  presence: boolean;
  masking: Required<SiteMasking>;
}

export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  defaultMode: 'view',
  presence: false,
  masking: { selectors: [], blockSelectors: [] },
};

export interface SitePatch {
  defaultMode?: Mode;
  presence?: boolean;
  masking?: SiteMasking;
}


export class Sites {
  private readonly cache = new Map<string, SiteSettings>();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly keys: readonly string[],
  ) {}

  /** Listens for changes made on other nodes of a cluster (their caches and ours must agree). */
  async start(): Promise<void> {
    await this.bus.subscribe(SITES_CHANGED, (message) => {
      const key = Buffer.from(message).toString('utf8');
      this.cache.delete(key);
      this.secrets.delete(key);
    });
  }

  known(key: string): boolean {
    return this.keys.includes(key);
  }

  async settings(key: string): Promise<SiteSettings> {
    const cached = this.cache.get(key);
    if (cached) return cached;
    const raw = await this.store.getSetting(`site:${key}`);
    const settings = raw ? { ...DEFAULT_SITE_SETTINGS, ...(JSON.parse(raw) as Partial<SiteSettings>) } : DEFAULT_SITE_SETTINGS;
    this.cache.set(key, settings);
    return settings;
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
    await this.store.setSetting(`site-secret:${key}`, secret);
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
    if (!this.secrets.has(key)) this.secrets.set(key, (await this.store.getSetting(`site-secret:${key}`)) ?? null);
    return this.secrets.get(key)!;
  }

  private readonly secrets = new Map<string, string | null>();

  async update(key: string, patch: SitePatch): Promise<SiteSettings> {
    const before = await this.settings(key);
    const next: SiteSettings = {
      defaultMode: patch.defaultMode && MODES.includes(patch.defaultMode) ? patch.defaultMode : before.defaultMode,
      presence: patch.presence ?? before.presence,
      masking: patch.masking
        ? { selectors: patch.masking.selectors ?? before.masking.selectors, blockSelectors: patch.masking.blockSelectors ?? before.masking.blockSelectors }
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
