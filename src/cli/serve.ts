import type { Command } from 'commander';
import { settings, type ConfigKey } from '../config.js';
import { startServer } from '../server.js';
import { addConfigOptions, configFrom } from './options.js';

export function registerServe(program: Command): void {
  const cmd = program.command('serve').description('Start the API server and its transcription workers');
  addConfigOptions(cmd, Object.keys(settings) as ConfigKey[]);
  cmd.action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    const server = await startServer(config);
    if (server.createdKey) {
      process.stdout.write(
        `\nCreated an API key (stored hashed, shown only this once):\n\n  ${server.createdKey}\n\n` +
          `Try it:\n  curl ${server.url}/v2/transcript -H "authorization: ${server.createdKey}"\n\n`,
      );
    }
    process.stdout.write(`Earshot listening on ${server.url} (engine: ${server.ctx.engine.model}, database: ${server.ctx.db.kind})\n`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(1); // second Ctrl-C: leave now
      stopping = true;
      server.ctx.log.info({ signal }, 'shutting down: finishing running jobs');
      server.close().then(
        () => process.exit(0),
        (err) => {
          server.ctx.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
