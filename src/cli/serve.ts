import type { Command } from 'commander';
import { assertServable, printableConfig, settings, type ConfigKey } from '../config.js';
import type { TlsSetup } from '../tls/load.js';
import { addConfigOptions, configFrom, examples } from './options.js';

export function registerServe(program: Command): void {
  const cmd = program.command('serve').description('Start the API server and its transcription workers');
  addConfigOptions(cmd, Object.keys(settings) as ConfigKey[]);
  cmd.option(
    '--print-config',
    'print the effective configuration (flags over environment over defaults) as JSON, secrets redacted, and exit',
  );
  examples(
    cmd,
    'earshot serve',
    'earshot serve --host 0.0.0.0 --port 8976 --tls self-signed',
    'DATABASE_URL=postgres://earshot@db/earshot earshot serve --workers false',
    'earshot serve --print-config',
  );
  cmd.action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    if (opts.printConfig) {
      process.stdout.write(`${JSON.stringify(printableConfig(config), null, 2)}\n`);
      return;
    }
    assertServable(config);
    // Loaded here, not at the top: the server's modules take a second to import, which every other command would pay.
    const { startServer } = await import('../server.js');
    const server = await startServer(config);
    if (server.createdKey) {
      process.stdout.write(
        `\nCreated an API key (stored hashed, shown only this once):\n\n  ${server.createdKey}\n\n` +
          `Try it:\n  curl ${server.url}/v2/transcript -H "authorization: ${server.createdKey}"\n\n`,
      );
    }
    if (server.tls && server.tlsUrl && server.tls.origin !== 'files') process.stdout.write(trustHelp(server.tls, server.tlsUrl));
    const urls = server.tlsUrl ? `${server.url} and ${server.tlsUrl}` : server.url;
    process.stdout.write(
      `Earshot listening on ${urls} (engine: ${server.ctx.engine.model}, database: ${server.ctx.db.kind})\n` +
        `Console: ${server.url}/   Status page: ${server.url}/status\n`,
    );
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
    // pg-boss 10 does not await some of its own queries (timgit/pg-boss#577): during a database outage
    // their rejections would end the process. Leases and the orphan check recover the jobs instead.
    process.on('unhandledRejection', (err) => server.ctx.log.error({ err }, 'unhandled rejection (server kept running)'));
  });
}

/** A path as a shell argument. */
const shellArg = (p: string) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);

/** How to make clients trust the self-signed certificate, printed on every start. */
function trustHelp(tls: TlsSetup, tlsUrl: string): string {
  const cert = shellArg(tls.certPath);
  const how = {
    created: 'created now',
    renewed: 'created anew (the kept one had expired or was unreadable: trust this one instead)',
    kept: 'kept from an earlier start',
  }[tls.origin as 'created' | 'renewed' | 'kept'];
  return (
    `\nHTTPS uses a self-signed certificate, ${how}, for ${tls.names.join(', ')}:\n` +
    `  ${tls.certPath}\n  SHA-256 ${tls.fingerprint256}, valid until ${tls.notAfter.toISOString().slice(0, 10)}\n` +
    `Trust it:\n` +
    `  Node.js clients (AssemblyAI SDK):  NODE_EXTRA_CA_CERTS=${cert} node your-app.js\n` +
    `  curl:                              curl --cacert ${cert} ${tlsUrl}/health\n` +
    `  this machine (Debian, Ubuntu):     sudo cp ${cert} /usr/local/share/ca-certificates/earshot.crt && sudo update-ca-certificates\n\n`
  );
}
