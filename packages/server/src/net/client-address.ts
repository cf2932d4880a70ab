/**
 * The client's address, by one rule for REST and WebSocket upgrades: a
 * forwarded header is believed only from peers the operator named
 * (TANDEM_TRUST_PROXY), or else anyone could claim any address and walk past
 * the per-address limits.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** false: trust no proxy; a number: that many hops; a list: addresses and CIDRs. */
export type TrustProxy = false | number | string[];

export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = value?.trim();
  if (!v) return false;
  if (/^\d+$/.test(v)) return Number(v);
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // compile throws on a malformed address: better at start than at the first request.
  proxyaddr.compile(list);
  return list;
}

export type TrustFn = (address: string, hop: number) => boolean;

const compiled = new WeakMap<string[], TrustFn>();

/** The same function fastify builds from its `trustProxy` option (a list is compiled once). */
export function compileTrust(trust: TrustProxy): TrustFn {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  let fn = compiled.get(trust);
  if (!fn) compiled.set(trust, (fn = proxyaddr.compile(trust)));
  return fn;
}

export function clientAddressOf(req: IncomingMessage, trust: TrustFn): string {
  return proxyaddr(req, trust);
}
