import type { Command } from 'commander';
import { openDb } from '../db/index.js';
import { migrate } from '../db/migrations.js';
import { createKey, listKeys, revokeKey } from '../storage/keys.js';
import { addConfigOptions, configFrom } from './options.js';

async function withDb<T>(opts: Record<string, unknown>, fn: (db: Awaited<ReturnType<typeof openDb>>) => Promise<T>): Promise<T> {
  const db = await openDb(configFrom(opts));
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Manage API keys (stored hashed; a key is shown only when created)');

  addConfigOptions(keys.command('create').description('Create an API key').option('--project <name>', 'project the key belongs to', 'default').option('--name <name>', 'a label for the key', 'key'), ['dataDir', 'databaseUrl'])
    .action(async (opts: Record<string, unknown>) => {
      const created = await withDb(opts, (db) => createKey(db, { project: opts.project as string, name: opts.name as string }));
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`Key ${created.id} created in project "${opts.project}". It will not be shown again.\n`);
    });

  addConfigOptions(keys.command('list').description('List API keys').option('--json', 'print JSON'), ['dataDir', 'databaseUrl']).action(async (opts: Record<string, unknown>) => {
    const rows = await withDb(opts, listKeys);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    for (const k of rows) {
      const state = k.revoked_at ? `revoked ${k.revoked_at.toISOString()}` : 'active';
      process.stdout.write(`${k.id}  ${k.key_prefix}…  ${k.project.padEnd(12)} ${k.name.padEnd(16)} ${state}\n`);
    }
  });

  addConfigOptions(keys.command('revoke').description('Revoke a key by its id or the key itself').argument('<id-or-key>'), ['dataDir', 'databaseUrl']).action(
    async (idOrKey: string, opts: Record<string, unknown>) => {
      const done = await withDb(opts, (db) => revokeKey(db, idOrKey));
      if (!done) {
        process.stderr.write(`No active key matches "${idOrKey}".\n`);
        process.exitCode = 1;
      } else process.stdout.write('Revoked.\n');
    },
  );
}
