import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { loadTls } from '../../src/tls/load.js';

describe('TLS settings', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let otherKey: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const config = (env: Record<string, string>) => loadConfig({}, { EARSHOT_DATA_DIR: dir, ...env });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-tls-load-'));
    const pair = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    const other = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    cert = write('cert.pem', pair.cert);
    key = write('key.pem', pair.private);
    otherKey = write('other-key.pem', other.private);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are off by default, with HTTPS on port 8977 once turned on', async () => {
    const c = config({});
    expect(c.tls).toBe('off');
    expect(c.tlsPort).toBe(8977);
    expect(c.tlsCert).toBeNull();
    expect(await loadTls(c)).toBeNull();
    expect(() => config({ EARSHOT_TLS: 'on' })).toThrow(/EARSHOT_TLS \/ --tls: expected "off" or "self-signed", got "on"/);
    expect(loadConfig({ tls: 'self-signed', tlsPort: '9443' }, {}).tlsPort).toBe(9443);
  });

  it('read a certificate and key from files', async () => {
    const tls = await loadTls(config({ EARSHOT_TLS_CERT: cert, EARSHOT_TLS_KEY: key }));
    expect(tls).toMatchObject({
      origin: 'files',
      certPath: cert,
      keyPath: key,
      cert: fs.readFileSync(cert, 'utf8'),
      names: ['localhost', '127.0.0.1'],
    });
  });

  it('make self-signed create its certificate in <data-dir>/tls', async () => {
    const tls = await loadTls(config({ EARSHOT_TLS: 'self-signed' }));
    expect(tls?.origin).toBe('created');
    expect(tls?.certPath).toBe(path.join(dir, 'tls', 'cert.pem'));
    expect((await loadTls(config({ EARSHOT_TLS: 'self-signed' })))?.fingerprint256).toBe(tls?.fingerprint256);
  });

  const bad: [string, () => Record<string, string>, RegExp][] = [
    [
      'a certificate without a key',
      () => ({ EARSHOT_TLS_CERT: cert }),
      /^EARSHOT_TLS_CERT \/ --tls-cert is set but EARSHOT_TLS_KEY \/ --tls-key is not/,
    ],
    [
      'a key without a certificate',
      () => ({ EARSHOT_TLS_KEY: key }),
      /^EARSHOT_TLS_KEY \/ --tls-key is set but EARSHOT_TLS_CERT \/ --tls-cert is not/,
    ],
    [
      'a missing certificate file',
      () => ({ EARSHOT_TLS_CERT: path.join(dir, 'nope.pem'), EARSHOT_TLS_KEY: key }),
      /^EARSHOT_TLS_CERT \/ --tls-cert: cannot read .*nope\.pem: no such file/,
    ],
    [
      'a directory for the key',
      () => ({ EARSHOT_TLS_CERT: cert, EARSHOT_TLS_KEY: dir }),
      /^EARSHOT_TLS_KEY \/ --tls-key: cannot read .*: is a directory/,
    ],
    [
      'a certificate that is not PEM',
      () => ({ EARSHOT_TLS_CERT: write('junk.pem', 'hello'), EARSHOT_TLS_KEY: key }),
      /^EARSHOT_TLS_CERT \/ --tls-cert: .*junk\.pem is not a PEM certificate/,
    ],
    [
      'a key in place of the certificate',
      () => ({ EARSHOT_TLS_CERT: key, EARSHOT_TLS_KEY: key }),
      /^EARSHOT_TLS_CERT \/ --tls-cert: .*key\.pem is not a PEM certificate/,
    ],
    [
      'a certificate in place of the key',
      () => ({ EARSHOT_TLS_CERT: cert, EARSHOT_TLS_KEY: cert }),
      /^EARSHOT_TLS_KEY \/ --tls-key: .*cert\.pem is not a PEM private key/,
    ],
    [
      'a damaged key',
      () => ({
        EARSHOT_TLS_CERT: cert,
        EARSHOT_TLS_KEY: write('damaged.pem', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      }),
      /^EARSHOT_TLS_KEY \/ --tls-key: .*damaged\.pem is not a PEM private key/,
    ],
    [
      'the key of another certificate',
      () => ({ EARSHOT_TLS_CERT: cert, EARSHOT_TLS_KEY: otherKey }),
      /^EARSHOT_TLS_KEY \/ --tls-key: .*other-key\.pem is not the private key of the certificate in .*cert\.pem/,
    ],
    [
      'self-signed and files at once',
      () => ({ EARSHOT_TLS: 'self-signed', EARSHOT_TLS_CERT: cert, EARSHOT_TLS_KEY: key }),
      /^EARSHOT_TLS \/ --tls is self-signed but EARSHOT_TLS_CERT .* are set too/,
    ],
    [
      'the HTTP port for HTTPS',
      () => ({ EARSHOT_TLS: 'self-signed', EARSHOT_PORT: '9000', EARSHOT_TLS_PORT: '9000' }),
      /^EARSHOT_TLS_PORT \/ --tls-port is 9000, the same as EARSHOT_PORT/,
    ],
  ];
  it.each(bad)('stop the start, naming the setting, given %s', async (_name, env, message) => {
    await expect(loadTls(config(env()))).rejects.toThrow(message);
  });

  it('refuse a passphrase-protected key by saying so', async () => {
    const locked = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      passphrase: 'secret',
    });
    const env = { EARSHOT_TLS_CERT: write('locked-cert.pem', locked.cert), EARSHOT_TLS_KEY: write('locked-key.pem', locked.private) };
    await expect(loadTls(config(env))).rejects.toThrow(
      /^EARSHOT_TLS_KEY \/ --tls-key: .*locked-key\.pem is not an unencrypted private key \(it is passphrase-protected\)/,
    );
  });
});
