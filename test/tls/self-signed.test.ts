import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSelfSignedCert, selfSignedNames } from '../../src/tls/self-signed.js';

describe('self-signed certificate', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-tls-')), 'tls');
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('is created for localhost, 127.0.0.1, ::1 and the hostname, with a private key only its owner reads', async () => {
    const made = await ensureSelfSignedCert(dir, { hostname: 'Box-7.example.lan' });
    expect(made.origin).toBe('created');
    expect(made.certPath).toBe(path.join(dir, 'cert.pem'));
    expect(made.keyPath).toBe(path.join(dir, 'key.pem'));
    expect(fs.readFileSync(made.certPath, 'utf8')).toBe(made.cert);
    expect(fs.readFileSync(made.keyPath, 'utf8')).toBe(made.key);
    expect(fs.statSync(made.keyPath).mode & 0o077).toBe(0);

    const x509 = new X509Certificate(made.cert);
    expect(x509.subjectAltName).toBe('DNS:localhost, DNS:box-7.example.lan, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(made.names).toEqual(['localhost', 'box-7.example.lan', '127.0.0.1', '::1']);
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkHost('box-7.example.lan')).toBe('box-7.example.lan');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBe('::1');
    expect(x509.checkHost('example.com')).toBeUndefined();
    expect(x509.ca).toBe(false);
    expect(x509.issuer).toBe(x509.subject); // self-signed
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(made.fingerprint256).toBe(x509.fingerprint256);
    // Valid from (nearly) now for a good while, but within what Apple platforms accept (825 days).
    const days = (made.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(800);
    expect(days).toBeLessThanOrEqual(825);
    expect(new Date(x509.validFrom).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('is kept and reused on later starts', async () => {
    const first = await ensureSelfSignedCert(dir);
    const second = await ensureSelfSignedCert(dir);
    expect(second.origin).toBe('kept');
    expect(second.fingerprint256).toBe(first.fingerprint256);
    expect(second.key).toBe(first.key);
  });

  it('is created anew once expired, or about to expire', async () => {
    const first = await ensureSelfSignedCert(dir);
    // Shortly before expiry (within a day) counts as expired, so a running server does not outlive its certificate.
    const renewed = await ensureSelfSignedCert(dir, { now: new Date(first.notAfter.getTime() - 3600_000) });
    expect(renewed.origin).toBe('renewed');
    expect(renewed.fingerprint256).not.toBe(first.fingerprint256);
    expect(new X509Certificate(fs.readFileSync(renewed.certPath)).fingerprint256).toBe(renewed.fingerprint256);

    // A really expired one on disk.
    const old = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - 400 * 86_400_000),
      notAfterDate: new Date(Date.now() - 86_400_000),
    });
    fs.writeFileSync(path.join(dir, 'cert.pem'), old.cert);
    fs.writeFileSync(path.join(dir, 'key.pem'), old.private);
    const fresh = await ensureSelfSignedCert(dir);
    expect(fresh.origin).toBe('renewed');
    expect(fresh.notAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it('is created anew when the kept files are damaged or do not belong together', async () => {
    const first = await ensureSelfSignedCert(dir);
    fs.writeFileSync(first.certPath, 'not a certificate');
    const second = await ensureSelfSignedCert(dir);
    expect(second.origin).toBe('renewed');

    const other = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    fs.writeFileSync(second.keyPath, other.private);
    const third = await ensureSelfSignedCert(dir);
    expect(third.origin).toBe('renewed');
    expect(new X509Certificate(third.cert).checkPrivateKey((await import('node:crypto')).createPrivateKey(third.key))).toBe(true);

    fs.rmSync(third.keyPath);
    expect((await ensureSelfSignedCert(dir)).origin).toBe('renewed');
  });

  it('names this machine unless its hostname is not a DNS name', () => {
    expect(selfSignedNames('studio')).toEqual({ dns: ['localhost', 'studio'], ips: ['127.0.0.1', '::1'] });
    expect(selfSignedNames('localhost').dns).toEqual(['localhost']);
    expect(selfSignedNames('').dns).toEqual(['localhost']);
    expect(selfSignedNames('bad name!').dns).toEqual(['localhost']);
    expect(selfSignedNames().dns).toContain('localhost');
  });
});
