/**
 * Visitors' short ids (Upscope's `getShortId`): eight characters a visitor can
 * read over the phone, stable for one browser on one site. Derived, not
 * stored: an HMAC of the site and the browser's presence id under the server
 * secret, so every node computes the same id, and a page cannot pick the short
 * id of another visitor (it would need that visitor's presence id, which never
 * leaves their browser and the server).
 */
import { createHmac } from 'node:crypto';

/** Crockford's base32: no I, L, O or U, so nothing is misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const SHORT_ID_LENGTH = 8;

export class ShortIds {
  constructor(private readonly secret: Uint8Array) {}

  of(siteKey: string, visitorId: string): string {
    const digest = createHmac('sha256', this.secret).update(`short-id\0${siteKey}\0${visitorId}`).digest();
    let id = '';
    // 8 × 5 bits from the first 5 bytes: 2^40 ids, so two visitors of a site practically never share one.
    let bits = 0n;
    for (let i = 0; i < 5; i++) bits = (bits << 8n) | BigInt(digest[i]!);
    for (let i = SHORT_ID_LENGTH - 1; i >= 0; i--) id += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
    return id;
  }
}

/** What a person typed, as the id it means: case and the letters read as digits forgiven. */
export function normalizeShortId(input: string): string {
  return input.trim().toUpperCase().replace(/[IL]/g, '1').replace(/O/g, '0').replace(/[\s-]/g, '');
}
