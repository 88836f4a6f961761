import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { settings, type Config } from '../config.js';
import { ensureSelfSignedCert, subjectAltNames } from './self-signed.js';

/** What the HTTPS listener serves with, and what the start-up message tells about it. */
export interface TlsSetup {
  /** PEM */
  cert: string;
  /** PEM */
  key: string;
  certPath: string;
  keyPath: string;
  /** The names the certificate covers (subject alternative names). */
  names: string[];
  notAfter: Date;
  fingerprint256: string;
  /** `files`: EARSHOT_TLS_CERT / EARSHOT_TLS_KEY; otherwise the self-signed one and how it came to be. */
  origin: 'files' | 'created' | 'renewed' | 'kept';
}

const label = (key: 'tls' | 'tlsPort' | 'tlsCert' | 'tlsKey' | 'port') => `${settings[key].env} / ${settings[key].flag}`;

function readPem(key: 'tlsCert' | 'tlsKey', file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new Error(`${label(key)}: cannot read ${file}: ${why}`);
  }
}

/** Certificate and key from the configured files, checked now so a mistake stops the start with its setting named. */
function fromFiles(certFile: string, keyFile: string): TlsSetup {
  const certPath = path.resolve(certFile);
  const keyPath = path.resolve(keyFile);
  const cert = readPem('tlsCert', certPath);
  const key = readPem('tlsKey', keyPath);
  let x509: X509Certificate;
  try {
    if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no BEGIN CERTIFICATE block');
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error(`${label('tlsCert')}: ${certPath} is not a PEM certificate`);
  }
  let keyObject: KeyObject;
  try {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new Error('no BEGIN PRIVATE KEY block');
    keyObject = createPrivateKey(key);
  } catch (err) {
    const encrypted = (err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE' || key.includes('ENCRYPTED');
    throw new Error(
      `${label('tlsKey')}: ${keyPath} is not ${encrypted ? 'an unencrypted' : 'a PEM'} private key${encrypted ? ' (it is passphrase-protected)' : ''}`,
    );
  }
  if (!x509.checkPrivateKey(keyObject)) {
    throw new Error(`${label('tlsKey')}: ${keyPath} is not the private key of the certificate in ${certPath} (${label('tlsCert')})`);
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`${label('tlsCert')} / ${label('tlsKey')}: unusable for TLS: ${(err as Error).message}`);
  }
  return {
    cert,
    key,
    certPath,
    keyPath,
    names: subjectAltNames(x509),
    notAfter: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
    origin: 'files',
  };
}

/** The TLS material the configuration asks for, or null when HTTPS is off. Throws, naming the setting, on a bad configuration. */
export async function loadTls(config: Config): Promise<TlsSetup | null> {
  const { tlsCert, tlsKey } = config;
  if (tlsCert && !tlsKey)
    throw new Error(`${label('tlsCert')} is set but ${label('tlsKey')} is not: HTTPS needs both the certificate and its private key`);
  if (tlsKey && !tlsCert)
    throw new Error(`${label('tlsKey')} is set but ${label('tlsCert')} is not: HTTPS needs both the certificate and its private key`);
  const files = tlsCert !== null && tlsKey !== null;
  if (config.tls === 'self-signed' && files) {
    throw new Error(`${label('tls')} is self-signed but ${label('tlsCert')} and ${label('tlsKey')} are set too: choose one`);
  }
  if (!files && config.tls === 'off') return null;
  if (config.tlsPort === config.port && config.port !== 0) {
    throw new Error(`${label('tlsPort')} is ${config.tlsPort}, the same as ${label('port')}: HTTPS needs a port of its own`);
  }
  if (files) return fromFiles(tlsCert, tlsKey);
  return ensureSelfSignedCert(path.join(config.dataDir, 'tls'));
}
