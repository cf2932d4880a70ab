/**
 * Where a webhook may go. An endpoint's address is chosen by whoever holds a
 * site's key, and the server POSTs to it: without this guard that is a way to
 * reach the server's own network (metadata services, admin ports, databases).
 * The name is checked when the endpoint is saved, but what counts is the
 * address connected to: a name can resolve elsewhere later (DNS rebinding), so
 * the request's own `lookup` refuses a private address at connect time.
 */
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { WebhookConfig } from './config.js';

const privateRanges = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  privateRanges.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible
  ['64:ff9b::', 96], // NAT64: an IPv4 address behind it may be private
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  privateRanges.addSubnet(net, bits, 'ipv6');
}

/** Private, loopback, link-local or otherwise not a public unicast address (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a URL as an address would be written (IPv6 without its brackets). */
const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why this address may not be an endpoint, or null when it may. Names are
 * resolved later, at each connection; here only what the address says itself.
 */
export function refuseUrl(raw: string, config: WebhookConfig): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url: not an absolute address.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'url: must be https.';
  if (url.protocol === 'http:' && !config.httpHosts.includes(url.hostname.toLowerCase())) return 'url: must be https.';
  if (url.username || url.password) return 'url: must not hold a user name or password (the signature authenticates the sender).';
  // A name (localhost too) is judged by what it resolves to, at each connection.
  const literal = checkLiteral(url, config);
  return literal ? `url: ${literal.message}` : null;
}

/** Raised when a name resolves to a private address. */
export class PrivateAddressError extends Error {
  readonly code = 'TDM_PRIVATE_ADDRESS';
}

/**
 * A `lookup` for http(s).request that resolves every address of the name and
 * refuses them all if any is private, so the socket can only connect to a
 * public one. (Node does not call `lookup` for an address literal: `checkLiteral` covers those.)
 */
export function guardedLookup(config: WebhookConfig): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = config.allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (bad) return callback(new PrivateAddressError(`${hostname} resolves to a private address.`), '', 0);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address.`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** The refusal for an address literal in the URL, which no lookup sees. */
export function checkLiteral(url: URL, config: WebhookConfig): PrivateAddressError | null {
  const host = bareHost(url);
  if (config.allowPrivate || isIP(host) === 0 || !isPrivateAddress(host)) return null;
  return new PrivateAddressError(`${host} is a private, loopback or link-local address.`);
}
