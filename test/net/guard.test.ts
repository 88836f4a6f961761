import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  assertHostAllowed,
  createGuardedLookup,
  ForbiddenAddressError,
  isForbiddenAddress,
  type GuardPolicy,
} from '../../src/net/guard.js';

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254', // cloud metadata
    '169.254.0.1',
    '100.64.0.1', // CGNAT
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '192.0.2.1', // documentation
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254', // AWS metadata over IPv6
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1', // deprecated IPv4-compatible
    '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
    '64:ff9b:1::1', // local-use NAT64
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    '2002:a00:1::', // 6to4 of 10.0.0.1
    '2001:db8::1', // documentation
    'fe80::1%eth0',
    // not IP addresses at all, or shorthand forms some parsers accept
    'localhost',
    '',
    '127.1',
    '0x7f.0.0.1',
    '2130706433',
  ])('forbids %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:2800:220:1:248:1893:25c8:1946',
    '::ffff:93.184.216.34',
    '64:ff9b::808:808',
    '2002:808:808::',
  ])('allows public %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('assertHostAllowed', () => {
  it('refuses forbidden IP literals, bracketed IPv6 included', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://10.1.2.3:8080/x',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]:9000/',
      'http://[::ffff:7f00:1]/',
    ]) {
      expect(() => assertHostAllowed(new URL(url)), url).toThrow(ForbiddenAddressError);
    }
  });

  it('normalises literal forms the way a socket would read them', () => {
    // WHATWG URL parsing turns these into 127.0.0.1 before the guard sees them.
    for (const url of ['http://0x7f.0.0.1/', 'http://2130706433/', 'http://127.1/']) {
      expect(() => assertHostAllowed(new URL(url)), url).toThrow(ForbiddenAddressError);
    }
  });

  it('lets public literals and hostnames through (hostnames are checked at connect time)', () => {
    expect(() => assertHostAllowed(new URL('http://93.184.216.34/'))).not.toThrow();
    expect(() => assertHostAllowed(new URL('http://internal.example/'))).not.toThrow();
  });

  it('honours the allow-list', () => {
    const policy: GuardPolicy = { allow: (address) => address === '10.0.0.7' };
    expect(() => assertHostAllowed(new URL('http://10.0.0.7/'), policy)).not.toThrow();
    expect(() => assertHostAllowed(new URL('http://10.0.0.8/'), policy)).toThrow(ForbiddenAddressError);
  });

  it('names the host and address in the error', () => {
    try {
      assertHostAllowed(new URL('http://169.254.169.254/'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ForbiddenAddressError);
      expect(err).toMatchObject({ code: 'EFORBIDDENADDRESS', hostname: '169.254.169.254', address: '169.254.169.254' });
    }
  });
});

function lookup(policy: GuardPolicy, hostname: string, options: { family?: number; all?: boolean } = {}) {
  return new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((resolve) => {
    createGuardedLookup(policy)(hostname, options as never, (err, address, family) => resolve({ err, address, family }));
  });
}

describe('createGuardedLookup', () => {
  const table: Record<string, LookupAddress[]> = {
    'public.test': [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ],
    'private.test': [{ address: '10.0.0.5', family: 4 }],
    'mixed.test': [
      { address: '93.184.216.34', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ],
    'v6local.test': [
      { address: '93.184.216.34', family: 4 },
      { address: '::1', family: 6 },
    ],
  };
  const resolve = async (h: string) => table[h] ?? [];

  it('returns the first address, or all of them when asked', async () => {
    expect(await lookup({ resolve }, 'public.test')).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect((await lookup({ resolve }, 'public.test', { all: true })).address).toEqual(table['public.test']);
    expect(await lookup({ resolve }, 'public.test', { family: 6 })).toEqual({
      err: null,
      address: '2606:2800:220:1:248:1893:25c8:1946',
      family: 6,
    });
  });

  it('refuses a name with any forbidden address, even when a public one comes first', async () => {
    for (const [host, bad] of [
      ['private.test', '10.0.0.5'],
      ['mixed.test', '127.0.0.1'],
    ] as const) {
      const { err } = await lookup({ resolve }, host);
      expect(err).toBeInstanceOf(ForbiddenAddressError);
      expect(err).toMatchObject({ hostname: host, address: bad });
    }
  });

  it('checks only the addresses of the family asked for', async () => {
    expect((await lookup({ resolve }, 'v6local.test', { family: 4 })).err).toBeNull();
    expect((await lookup({ resolve }, 'v6local.test', { family: 6 })).err).toBeInstanceOf(ForbiddenAddressError);
    expect((await lookup({ resolve }, 'v6local.test')).err).toBeInstanceOf(ForbiddenAddressError);
  });

  it('lets the allow-list exempt an address, by host', async () => {
    const allow = (address: string, hostname: string) => hostname === 'private.test' && address === '10.0.0.5';
    expect(await lookup({ resolve, allow }, 'private.test')).toMatchObject({ err: null, address: '10.0.0.5' });
    expect((await lookup({ resolve, allow }, 'mixed.test')).err).toBeInstanceOf(ForbiddenAddressError);
  });

  it('reports ENOTFOUND for a name without addresses, and passes resolver errors on', async () => {
    expect((await lookup({ resolve }, 'nowhere.test')).err).toMatchObject({ code: 'ENOTFOUND' });
    const failing = async () => {
      throw Object.assign(new Error('boom'), { code: 'ESERVFAIL' });
    };
    expect((await lookup({ resolve: failing }, 'x.test')).err).toMatchObject({ code: 'ESERVFAIL' });
  });
});
