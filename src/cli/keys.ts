import type { Command } from 'commander';
import { DB_IN_USE, openDb } from '../db/index.js';
import { migrate } from '../db/migrations.js';
import { createKey, listKeys, revokeKey, type ApiKeyInfo } from '../storage/keys.js';
import { addClientOptions, addConfigOptions, clientFrom, configFrom, examples, explicitServer } from './options.js';

type Db = Awaited<ReturnType<typeof openDb>>;

/** A call to the server's key API (`src/routes/keys.ts`) with an operator key. */
type Remote = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/**
 * Runs a key command on the database, or through the running server: when `--server` / `EARSHOT_URL`
 * names one, or when that server holds the embedded database (which only one process may open).
 */
async function keysCommand<T>(
  opts: Record<string, unknown>,
  local: (db: Db) => Promise<T>,
  remote: (call: Remote) => Promise<T>,
): Promise<T> {
  if (explicitServer(opts) === null) {
    let db: Db;
    try {
      db = await openDb(configFrom(opts));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== DB_IN_USE) throw err;
      const { server, apiKey } = clientFrom(opts);
      if (!apiKey) {
        throw new Error(
          `${(err as Error).message.replace(/ Stop it first.*/, '')} To go through that server (${server}), ` +
            'give a key of its "default" project: --api-key KEY or EARSHOT_API_KEY (the key it printed on its first start, or its EARSHOT_API_KEY). ' +
            'Or stop the server and run this again.',
        );
      }
      return remote(client(server, apiKey));
    }
    try {
      await migrate(db);
      return await local(db);
    } finally {
      await db.close();
    }
  }
  const { server, apiKey } = clientFrom(opts);
  if (!apiKey) throw new Error(`managing keys through ${server} needs a key of its "default" project: --api-key KEY or EARSHOT_API_KEY`);
  return remote(client(server, apiKey));
}

function client(server: string, apiKey: string): Remote {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${server}${path}`, {
        method,
        headers: { authorization: apiKey, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new Error(`cannot reach Earshot at ${server} (${cause}); --server sets the URL, or --host and --port`);
    }
    const json = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (!res.ok) throw Object.assign(new Error(`${server}: ${res.status}: ${json.error ?? res.statusText}`), { status: res.status });
    return json;
  };
}

/** A key row as the server's API gives it, in the shape `keys list --json` prints from the database. */
interface RemoteKey {
  id: string;
  project_id: string;
  project: string;
  name: string;
  key_prefix: string;
  created_at: string;
  revoked_at: string | null;
}

const DB_OPTIONS = ['dataDir', 'databaseUrl'] as const;

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Manage API keys (stored hashed; a key is shown only when created)');
  examples(
    keys,
    'earshot keys create --project acme --name laptop',
    'earshot keys list',
    'earshot keys list --api-key $EARSHOT_API_KEY        # beside a running server on the embedded database',
    'earshot keys revoke 6f1d…',
  );
  const command = (name: string, description: string, ...example: string[]) =>
    examples(addClientOptions(addConfigOptions(keys.command(name).description(description), [...DB_OPTIONS])), ...example);

  command(
    'create',
    'Create an API key',
    'earshot keys create',
    'earshot keys create --project acme --name ci --server https://stt.example.com --api-key $EARSHOT_API_KEY',
  )
    .option('--project <name>', 'project the key belongs to', 'default')
    .option('--name <name>', 'a label for the key', 'key')
    .action(async (opts: Record<string, unknown>) => {
      const project = opts.project as string;
      const created = await keysCommand(
        opts,
        (db) => createKey(db, { project, name: opts.name as string }),
        (call) => call<{ id: string; key: string }>('POST', '/v2/keys', { name: opts.name, project }),
      );
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`Key ${created.id} created in project "${project}". It will not be shown again.\n`);
    });

  command(
    'list',
    'List API keys',
    'earshot keys list',
    'earshot keys list --json --server https://stt.example.com --api-key $EARSHOT_API_KEY',
  )
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const rows = await keysCommand<(ApiKeyInfo | RemoteKey)[]>(opts, listKeys, async (call) => {
        const { keys: list } = await call<{ keys: (RemoteKey & { current?: boolean })[] }>('GET', '/v2/keys?all=true');
        return list.map(({ current: _current, ...k }) => k);
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const k of rows) {
        const state = k.revoked_at ? `revoked ${new Date(k.revoked_at).toISOString()}` : 'active';
        process.stdout.write(`${k.id}  ${k.key_prefix}…  ${k.project.padEnd(12)} ${k.name.padEnd(16)} ${state}\n`);
      }
    });

  command(
    'revoke',
    'Revoke a key by its id or the key itself',
    'earshot keys revoke 6f1d…',
    'earshot keys revoke 3f1c9a…   # the key itself (not through a server)',
  )
    .argument('<id-or-key>')
    .action(async (idOrKey: string, opts: Record<string, unknown>) => {
      const done = await keysCommand(
        opts,
        (db) => revokeKey(db, idOrKey),
        async (call) => {
          // A key in a URL path would reach the logs; through a server, keys are revoked by id.
          if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrKey)) {
            throw new Error('through a server, revoke a key by its id (`earshot keys list` shows it)');
          }
          return call<{ revoked_at: string | null }>('DELETE', `/v2/keys/${idOrKey}`).then(
            () => true,
            (err: Error & { status?: number }) => (err.status === 404 ? false : Promise.reject(err)),
          );
        },
      );
      if (!done) {
        process.stderr.write(`No active key matches "${idOrKey}".\n`);
        process.exitCode = 1;
      } else process.stdout.write('Revoked.\n');
    });
}
