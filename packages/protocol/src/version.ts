/**
 * Protocol versions this build speaks. A client offers the versions it knows in
 * `hello`; the server answers `welcome` with the highest one both sides know, or
 * closes with TDM_BAD_VERSION. Bump when a message changes shape, never silently.
 */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];

/** Picks the highest version both sides support, or null when there is none. */
export function negotiateVersion(offered: readonly number[]): number | null {
  let best: number | null = null;
  for (const v of offered) {
    if (SUPPORTED_VERSIONS.includes(v) && (best === null || v > best)) best = v;
  }
  return best;
}
