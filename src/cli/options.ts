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
