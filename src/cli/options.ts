import { Option, type Command } from 'commander';
import { loadConfig, settings, type Config, type ConfigKey } from '../config.js';

/** Adds the flags of the named settings to a command, straight from the config table. */
export function addConfigOptions(cmd: Command, keys: ConfigKey[]): Command {
  for (const key of keys) {
    const s = settings[key];
    const takesValue = typeof s.default !== 'boolean';
    cmd.addOption(new Option(takesValue ? `${s.flag} <value>` : `${s.flag} [bool]`, `${s.description} (env ${s.env})`));
  }
  return cmd;
}

/**
 * The config for a command: its flags over the environment over defaults. Commander files a flag's value
 * under the flag's camel-cased name (`--public` → `public`), which need not be the setting's key (`publicMode`).
 */
export function configFrom(opts: Record<string, unknown>): Config {
  const flags: Partial<Record<ConfigKey, string | boolean>> = {};
  for (const key of Object.keys(settings) as ConfigKey[]) {
    const v = opts[new Option(settings[key].flag).attributeName()];
    if (v !== undefined) flags[key] = v === true ? 'true' : (v as string);
  }
  return loadConfig(flags);
}

/** Flags earlier versions used, still honoured (hidden, with a warning): old name → its one name today. */
const OLD_FLAGS = { key: ['--key', '--api-key'], url: ['--url', '--server'], baseUrl: ['--base-url', '--server'] } as const;
const warned = new Set<string>();

/** One line on stderr per old name used, so scripts keep working and their authors learn the new name. */
function deprecated(old: string, now: string): void {
  if (warned.has(old)) return;
  warned.add(old);
  process.stderr.write(`earshot: ${old} is deprecated; use ${now}\n`);
}

/**
 * The flags of a command that talks to a running server: `--server URL` (or `EARSHOT_URL`), else the
 * local server at `--host`/`--port`, and `--api-key` (or `EARSHOT_API_KEY`). The old names are hidden aliases.
 */
export function addClientOptions(cmd: Command): Command {
  cmd
    .option('--server <url>', "Earshot server URL (env EARSHOT_URL; default: this machine's server at --host and --port)")
    .option('--host <host>', "host of this machine's server, when no --server is given (env EARSHOT_HOST)")
    .option('--port <port>', "port of this machine's server, when no --server is given (env EARSHOT_PORT)")
    .option('--api-key <key>', 'API key (env EARSHOT_API_KEY)');
  for (const [old] of Object.values(OLD_FLAGS)) cmd.addOption(new Option(`${old} <value>`).hideHelp());
  return cmd;
}

/** The local server's URL from its listen settings (any-address means this machine). */
function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** The server URL a client command was given, or null (flags over environment; old names warn). */
export function explicitServer(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string | null {
  if (typeof opts.server === 'string') return opts.server;
  for (const attr of ['url', 'baseUrl'] as const) {
    if (typeof opts[attr] === 'string') {
      deprecated(OLD_FLAGS[attr][0], OLD_FLAGS[attr][1]);
      return opts[attr] as string;
    }
  }
  return env.EARSHOT_URL || null;
}

/** The server and key of a client command: `--server`/`EARSHOT_URL`, else http://<host>:<port>; `--api-key`/`EARSHOT_API_KEY`. */
export function clientFrom(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): { server: string; apiKey: string | null } {
  let server = explicitServer(opts, env);
  if (server === null) {
    const config = loadConfig(
      { ...(opts.host !== undefined && { host: String(opts.host) }), ...(opts.port !== undefined && { port: String(opts.port) }) },
      { EARSHOT_HOST: env.EARSHOT_HOST, EARSHOT_PORT: env.EARSHOT_PORT },
    );
    server = localUrl(config.host, config.port);
  }
  return { server: server.replace(/\/+$/, ''), apiKey: apiKeyFrom(opts, env) };
}

/** `--api-key`, else `EARSHOT_API_KEY`; the old `--key` and `EARSHOT_KEY` still count, with a warning. */
export function apiKeyFrom(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string | null {
  if (typeof opts.apiKey === 'string') return opts.apiKey;
  if (typeof opts.key === 'string') {
    deprecated('--key', '--api-key');
    return opts.key;
  }
  if (env.EARSHOT_API_KEY) return env.EARSHOT_API_KEY;
  if (env.EARSHOT_KEY) {
    deprecated('EARSHOT_KEY', 'EARSHOT_API_KEY');
    return env.EARSHOT_KEY;
  }
  return null;
}

/** Examples under a command's help. */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
