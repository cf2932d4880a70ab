/**
 * REST shapes of API keys: what an admin lists, creates (the key itself shown
 * once) and revokes. Only a key's SHA-256 is stored; a revoked key is kept in
 * the list, marked, and opens nothing.
 */
import { Type, type Static } from 'typebox';
import { SiteKey, Strict, Timestamp } from './common.js';

export const ApiKeyInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** The site it belongs to; null for an admin key (every site). */
  site: Type.Union([Type.String(), Type.Null()]),
  admin: Type.Boolean(),
  createdAt: Timestamp,
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});

export const ApiKeyList = Type.Object({ keys: Type.Array(ApiKeyInfo) });

export const CreateApiKeyBody = Strict({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  /** The site the key belongs to; leave it out and set `admin` for a key to every site. */
  site: Type.Optional(SiteKey),
  admin: Type.Optional(Type.Boolean()),
});

/** A key just made: the only answer that ever holds the key itself. */
export const CreatedApiKey = Type.Intersect([ApiKeyInfo, Type.Object({ key: Type.String() })]);

export type ApiKeyInfo = Static<typeof ApiKeyInfo>;
export type CreatedApiKey = Static<typeof CreatedApiKey>;
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;
