import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';

/** A self-signed certificate kept in `<data-dir>/tls/`. */
export interface SelfSignedCert {
  certPath: string;
  keyPath: string;
  /** PEM */
  cert: string;
  /** PEM */
  key: string;
  /** The names clients may connect by. */
  names: string[];
  notAfter: Date;
  /** SHA-256 fingerprint, colon-separated hex (as `openssl x509 -fingerprint -sha256` shows it). */
  fingerprint256: string;
  /** `created`: first start; `renewed`: the kept one had expired or was unusable; `kept`: reused. */
  origin: 'created' | 'renewed' | 'kept';
}

/** Long enough not to bother anyone; Apple platforms refuse server certificates valid for longer than 825 days. */
const VALIDITY_DAYS = 825;
/** A certificate this close to expiry is renewed at start, so a running server does not outlive it. */
const RENEW_MARGIN_MS = 24 * 3600 * 1000;

/** The names the certificate covers: loopback by name and address, and this machine's hostname. */
export function selfSignedNames(hostname = os.hostname()): { dns: string[]; ips: string[] } {
  const dns = ['localhost'];
  const host = hostname.trim().toLowerCase();
  if (host && host !== 'localhost' && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(host)) dns.push(host);
  return { dns, ips: ['127.0.0.1', '::1'] };
}

/** The kept certificate and key, if they exist, belong together and are valid for a while yet. */
function readKept(
  certPath: string,
  keyPath: string,
  now: Date,
): { cert: string; key: string; x509: X509Certificate } | 'missing' | 'unusable' {
  if (!fs.existsSync(certPath) && !fs.existsSync(keyPath)) return 'missing';
  let cert: string;
  let key: string;
  try {
    cert = fs.readFileSync(certPath, 'utf8');
    key = fs.readFileSync(keyPath, 'utf8');
  } catch {
    return 'unusable';
  }
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return 'unusable';
    if (new Date(x509.validTo).getTime() - RENEW_MARGIN_MS <= now.getTime()) return 'unusable';
    return { cert, key, x509 };
  } catch {
    return 'unusable';
  }
}

/** Writes through a temporary file, so a crash never leaves half a PEM behind. */
function writeAtomically(file: string, data: string, mode: number): void {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

async function create(hostname?: string): Promise<{ cert: string; key: string }> {
  const { dns, ips } = selfSignedNames(hostname);
  const now = Date.now();
  const pems = await generate(
    [
      { name: 'commonName', value: `Earshot (${dns[dns.length - 1]})` },
      { name: 'organizationName', value: 'Earshot self-signed' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      // An hour back, for clients whose clock runs a little behind.
      notBeforeDate: new Date(now - 3600 * 1000),
      notAfterDate: new Date(now + VALIDITY_DAYS * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [...dns.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))],
        },
      ],
    },
  );
  return { cert: pems.cert, key: pems.private };
}

/**
 * The certificate in `dir` (`cert.pem`, `key.pem`): kept across starts so clients trust it once,
 * created on first use, and created anew when it has expired (or is about to) or is unreadable.
 */
export async function ensureSelfSignedCert(dir: string, opts: { hostname?: string; now?: Date } = {}): Promise<SelfSignedCert> {
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  const kept = readKept(certPath, keyPath, opts.now ?? new Date());
  let cert: string;
  let key: string;
  let x509: X509Certificate;
  if (typeof kept === 'object') {
    ({ cert, key, x509 } = kept);
  } else {
    ({ cert, key } = await create(opts.hostname));
    x509 = new X509Certificate(cert);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeAtomically(keyPath, key, 0o600);
    writeAtomically(certPath, cert, 0o644);
  }
  return {
    certPath,
    keyPath,
    cert,
    key,
    names: subjectAltNames(x509),
    notAfter: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
    origin: typeof kept === 'object' ? 'kept' : kept === 'missing' ? 'created' : 'renewed',
  };
}

/** `DNS:localhost, IP Address:127.0.0.1, …` as plain names. */
export function subjectAltNames(x509: X509Certificate): string[] {
  return (x509.subjectAltName ?? '')
    .split(/,\s*/)
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const ip = /^IP Address:(.*)$/.exec(entry)?.[1];
      // OpenSSL spells IPv6 out in full (0:0:0:0:0:0:0:1); the URL parser writes it short (::1).
      if (ip?.includes(':')) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
      return ip ?? entry.replace(/^DNS:/, '');
    });
}
