import { describe, expect, it } from 'vitest';
import { settings, type ConfigKey } from '../../src/config.js';
import { hermeticEnv, runCli } from '../helpers/server.js';

/**
 * Every flag of the configuration table reaches the effective configuration of `earshot serve`
 * (`--public` was once filed under commander's `public` and silently ignored). The values are read back
 * with `earshot serve --print-config`, which prints the configuration the server would start with.
 */

/** Values the generic rule below cannot make: settings with a fixed set or range of accepted values. */
const SPECIAL: Partial<Record<ConfigKey, string>> = {
  tls: 'self-signed',
  logLevel: 'debug',
  logFormat: 'pretty',
  storageUrl: 's3://bucket/prefix',
  streamingSpeakerThreshold: '0.75',
};

/** A value for the flag that differs from the default, so a flag that is ignored shows. */
function flagValue(key: ConfigKey): string | null {
  const d: unknown = settings[key].default;
  if (SPECIAL[key]) return SPECIAL[key];
  if (typeof d === 'boolean') return d ? 'false' : null; // a bare `--public` turns a default-false setting on
  if (typeof d === 'number') return String(d + 1);
  return `flag-value-of-${key}-0123456789`;
}

const KEYS = Object.keys(settings) as ConfigKey[];
const CASES = KEYS.map((key) => {
  const value = flagValue(key);
  const s = settings[key];
  const effective: unknown = s.parse(value ?? 'true');
  return {
    key,
    flag: s.flag,
    args: value === null ? [s.flag] : [s.flag, value],
    expected: 'secret' in s && s.secret ? '[redacted]' : effective,
    effective,
  };
});

describe('earshot serve flags', () => {
  let printed: Record<string, unknown> = {};
  let defaults: Record<string, unknown> = {};

  it('prints the effective configuration with --print-config, without starting', async () => {
    const all = await runCli(['serve', '--print-config', ...CASES.flatMap((c) => c.args)], hermeticEnv());
    expect(all.code, all.stderr).toBe(0);
    printed = JSON.parse(all.stdout) as Record<string, unknown>;
    const none = await runCli(['serve', '--print-config'], hermeticEnv());
    expect(none.code, none.stderr).toBe(0);
    defaults = JSON.parse(none.stdout) as Record<string, unknown>;
    expect(Object.keys(printed).sort()).toEqual([...KEYS].sort());
  });

  it.each(CASES)('$flag sets $key', ({ key, expected, effective }) => {
    expect(effective).not.toEqual(settings[key].default);
    expect(printed[key]).toEqual(expected);
    expect(defaults[key]).not.toEqual(printed[key]);
  });

  it('redacts every secret it prints', () => {
    const secrets = CASES.filter((c) => c.expected === '[redacted]');
    expect(secrets.map((c) => c.key).sort()).toEqual(['apiKey', 'databaseUrl', 'llmApiKey', 'smtpUrl']);
    const text = JSON.stringify(printed);
    for (const c of secrets) expect(text).not.toContain(String(c.effective));
  });

  it('takes "--public false" and "--public true" as well as a bare --public', async () => {
    for (const [arg, want] of [
      ['false', false],
      ['true', true],
      ['yes', true],
    ] as const) {
      const out = await runCli(['serve', '--print-config', '--public', arg], { ...hermeticEnv(), EARSHOT_PUBLIC: String(!want) });
      expect(out.code, out.stderr).toBe(0);
      expect((JSON.parse(out.stdout) as { publicMode: boolean }).publicMode, arg).toBe(want);
    }
  });

  it('refuses to serve with an API key shorter than 16 characters, saying why', async () => {
    const out = await runCli(['serve', '--api-key', 'ab', '--port', '1'], hermeticEnv());
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('EARSHOT_API_KEY / --api-key is 2 characters; a server key needs at least 16');
    expect(out.stdout).not.toContain('listening');
  });
});
