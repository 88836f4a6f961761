import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addClientOptions, apiKeyFrom, clientFrom } from '../../src/cli/options.js';

let err: string;
beforeEach(() => {
  err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

/** The options commander files for these arguments of a client command. */
function parse(...args: string[]): Record<string, unknown> {
  const cmd = addClientOptions(new Command('x').exitOverride());
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}

describe('client options', () => {
  it('--server wins over EARSHOT_URL, which wins over the local --host/--port', () => {
    expect(clientFrom(parse('--server', 'http://a:1/'), { EARSHOT_URL: 'http://b:2' }).server).toBe('http://a:1');
    expect(clientFrom(parse('--port', '9'), { EARSHOT_URL: 'http://b:2' }).server).toBe('http://b:2');
    expect(clientFrom(parse('--host', '0.0.0.0', '--port', '9'), { EARSHOT_PORT: '7' }).server).toBe('http://127.0.0.1:9');
    expect(clientFrom(parse(), { EARSHOT_HOST: '::', EARSHOT_PORT: '7' }).server).toBe('http://[::1]:7');
    expect(clientFrom(parse(), {}).server).toBe('http://127.0.0.1:8976');
    expect(err).toBe('');
  });

  it('--api-key wins over EARSHOT_API_KEY', () => {
    expect(apiKeyFrom(parse('--api-key', 'flag'), { EARSHOT_API_KEY: 'env' })).toBe('flag');
    expect(apiKeyFrom(parse(), { EARSHOT_API_KEY: 'env', EARSHOT_KEY: 'old' })).toBe('env');
    expect(apiKeyFrom(parse(), {})).toBeNull();
    expect(err).toBe('');
  });

  it.each([
    [['--key', 'k'], {}, 'apiKey', 'k', '--key is deprecated; use --api-key'],
    [[], { EARSHOT_KEY: 'k' }, 'apiKey', 'k', 'EARSHOT_KEY is deprecated; use EARSHOT_API_KEY'],
    [['--url', 'http://u:1'], {}, 'server', 'http://u:1', '--url is deprecated; use --server'],
    [['--base-url', 'http://u:2'], {}, 'server', 'http://u:2', '--base-url is deprecated; use --server'],
  ] as const)('still takes %s / %o, with one deprecation line', (args, env, field, value, line) => {
    const opts = parse(...args);
    expect(clientFrom(opts, env)[field]).toBe(value);
    clientFrom(opts, env); // a second read does not warn again
    expect(err).toBe(`earshot: ${line}\n`);
  });

  it('hides the old flags from the help', () => {
    const help = addClientOptions(new Command('x')).helpInformation();
    expect(help).toContain('--server <url>');
    expect(help).toContain('--api-key <key>');
    expect(help).not.toMatch(/--key|--url|--base-url|Address to listen on/);
  });
});
