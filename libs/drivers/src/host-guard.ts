import * as dns from 'node:dns';
import * as net from 'node:net';
import ipaddr from 'ipaddr.js';
import type * as Undici from 'undici';
import type { buildConnector } from 'undici';
import { lazyModule } from '@athena/common';

/** undici, required on first use (see lazyModule): only egress to custom Supabase targets loads it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred require (boot memory)
export const undici = lazyModule(() => require('undici') as typeof Undici);

/**
 * Host allow-listing shared by `custom_supabase` and direct connections: exact host names / IP literals, or
 * `*.example.com` for any subdomain of example.com. Case-insensitive; an empty list allows nothing.
 */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = stripBrackets(host).toLowerCase().replace(/\.$/, '');
  for (const pattern of allowed) {
    const p = pattern.toLowerCase();
    if (p.startsWith('*.')) {
      if (h.endsWith(p.slice(1)) && h.length > p.length - 1) return true;
    } else if (p === h || stripBrackets(p) === h) return true;
  }
  return false;
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * True for addresses a caller-supplied URL must not reach: loopback, private (RFC 1918), link-local (incl. the
 * cloud metadata address 169.254.169.254), unique-local IPv6, carrier-grade NAT, unspecified, multicast,
 * broadcast and reserved ranges. IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
export function isNonPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() !== 'unicast';
}

export class BlockedAddressError extends Error {
  readonly code = 'EATHENABLOCKED';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to a non-public address`);
  }
}

/** Resolves a host (or takes an IP literal) and returns its addresses. */
export async function resolveHost(host: string): Promise<string[]> {
  const h = stripBrackets(host);
  if (net.isIP(h)) return [h];
  const addrs = await dns.promises.lookup(h, { all: true, verbatim: true });
  return addrs.map((a) => a.address);
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `net.connect` lookup that refuses non-public addresses at connect time — so a host that passed the check
 * and was then re-pointed at a private address (DNS rebinding) is still refused.
 */
export function publicOnlyLookup(hostname: string, options: dns.LookupOptions, cb: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return cb(err, '');
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isNonPublicAddress(a.address));
    if (bad || list.length === 0)
      return cb(new BlockedAddressError(hostname, bad?.address ?? '') as unknown as NodeJS.ErrnoException, '');
    if (options.all) return cb(null, list);
    return cb(null, list[0].address, list[0].family);
  });
}

/**
 * An undici connector that refuses non-public addresses: host names through `publicOnlyLookup`, and IP literals
 * directly — Node's `net.connect` never calls `lookup` for an IP host, so without this check a URL (or a redirect)
 * naming `http://169.254.169.254/` would bypass the lookup guard.
 */
export function publicOnlyConnector(): buildConnector.connector {
  const base = undici().buildConnector({ lookup: publicOnlyLookup as never });
  return (opts, cb) => {
    const h = stripBrackets(opts.hostname);
    if (net.isIP(h) && isNonPublicAddress(h)) {
      process.nextTick(() => cb(new BlockedAddressError(h, h), null));
      return;
    }
    base(opts, cb);
  };
}
