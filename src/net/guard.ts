import { promises as dns } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** A public-mode request would reach an address on the server's side of the network. */
export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError';
  readonly code = 'EFORBIDDENADDRESS';

  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(`${hostname} resolves to forbidden address ${address}`);
  }
}

function isForbiddenV4(addr: ipaddr.IPv4): boolean {
  // Everything ipaddr.js names (private, loopback, linkLocal incl. 169.254.169.254, carrierGradeNat,
  // multicast, broadcast, reserved, unspecified, …) is off limits; only plain unicast is public.
  return addr.range() !== 'unicast';
}

const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/** The IPv4 address an IPv6 transition format carries in bits [from, from + 32). */
function embeddedV4(addr: ipaddr.IPv6, from: number): ipaddr.IPv4 {
  const bytes = addr.toByteArray();
  return new ipaddr.IPv4(bytes.slice(from / 8, from / 8 + 4));
}

/**
 * True for any address a server must not be tricked into contacting: loopback, private,
 * link-local (cloud metadata 169.254.169.254 included), unique-local (fd00:ec2::254 included),
 * unspecified, CGNAT, multicast, broadcast, reserved and documentation ranges, and IPv6 forms
 * that embed such an IPv4 address. Strings that are not IP addresses count as forbidden.
 */
export function isForbiddenAddress(ip: string): boolean {
  // net.isIP rejects the shorthand forms ("127.1", "0x7f.0.0.1") ipaddr.js would accept.
  if (isIP(ip.replace(/%.*$/, '')) === 0) return true;
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv4') return isForbiddenV4(addr as ipaddr.IPv4);
  const v6 = addr as ipaddr.IPv6;
  switch (v6.range()) {
    case 'unicast':
      // Deprecated IPv4-compatible ::a.b.c.d falls in no ipaddr.js range but is never a public target.
      return v6.parts.slice(0, 6).every((p) => p === 0);
    case 'ipv4Mapped':
      return isForbiddenV4(v6.toIPv4Address());
    case 'rfc6052':
      // Well-known NAT64 64:ff9b::/96 carries its IPv4 target in the last 32 bits; 64:ff9b:1::/48 is local-use.
      return !v6.match(NAT64_WELL_KNOWN) || isForbiddenV4(embeddedV4(v6, 96));
    case '6to4': // 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD
      return isForbiddenV4(embeddedV4(v6, 16));
    default:
      return true;
  }
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface GuardPolicy {
  /** Name resolution; defaults to the system resolver (`dns.lookup`, all addresses). */
  resolve?: Resolver;
  /** Exempts a forbidden address, e.g. an operator's allow-list of internal hosts. */
  allow?: (address: string, hostname: string) => boolean;
}

const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

function check(policy: GuardPolicy, hostname: string, address: string): void {
  if (isForbiddenAddress(address) && !policy.allow?.(address, hostname)) {
    throw new ForbiddenAddressError(hostname, address);
  }
}

/** Strips the brackets URL.hostname keeps around IPv6 literals. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Throws `ForbiddenAddressError` if the URL's host is a forbidden IP literal. Needed because
 * sockets skip `lookup` for IP literals; hostnames are checked by `createGuardedLookup`.
 */
export function assertHostAllowed(url: URL, policy: GuardPolicy = {}): void {
  const host = bareHost(url.hostname);
  if (isIP(host) !== 0) check(policy, host, host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `dns.lookup`-shaped function, the form `net.connect`, `http.request` and undici's `connect` take. */
export type GuardedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/**
 * A lookup that resolves, then refuses if ANY resulting address is forbidden. Checking the
 * address actually connected to (not a separate pre-flight resolution) defeats DNS rebinding.
 */
export function createGuardedLookup(policy: GuardPolicy = {}): GuardedLookup {
  const resolve = policy.resolve ?? systemResolver;
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const addresses = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        try {
          for (const a of addresses) check(policy, hostname, a.address);
        } catch (err) {
          callback(err as ForbiddenAddressError, '');
          return;
        }
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
        } else if (options.all) {
          callback(null, addresses);
        } else {
          callback(null, addresses[0]!.address, addresses[0]!.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
