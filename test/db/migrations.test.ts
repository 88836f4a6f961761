import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrations.js';
import { createKey, projectForKey } from '../../src/storage/keys.js';
import { freshDb, type TestDb } from '../helpers/db.js';
import { STORAGE_MODES } from '../helpers/server.js';

describe.each(STORAGE_MODES)('migrations (%s)', (storage) => {
  let t: TestDb;

  beforeAll(async () => {
    t = await freshDb(storage);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('apply once: a second run has nothing to do', async () => {
    expect(await migrate(t.db)).toEqual([]);
  });

  it('project names are unique: adding the same project at once gives one row', async () => {
    const made = await Promise.all([0, 1, 2, 3].map(() => createKey(t.db, { project: 'together' })));
    expect(new Set(made.map((k) => k.project_id)).size).toBe(1);
    const { rows } = await t.db.query<{ n: number }>("select count(*)::int as n from projects where name = 'together'");
    expect(rows[0]!.n).toBe(1);
  });

  it('merge the duplicate projects an older version made into the oldest one, keeping what they hold', async () => {
    const made = await Promise.all([0, 1, 2].map(() => createKey(t.db, { project: 'elsewhere' })));
    // The database as it was before names were unique, with three "twin" projects made by nodes starting together.
    await t.db.query('alter table projects drop constraint projects_name_key');
    await t.db.query("delete from earshot_migrations where name = 'unique project names'");
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, id] of ids.entries()) {
      await t.db.query(`insert into projects (id, name, created_at) values ($1, 'twin', now() - make_interval(mins => $2))`, [id, 10 - i]);
    }
    for (const [i, id] of ids.entries()) {
      await t.db.query('update api_keys set project_id = $1 where id = $2', [id, made[i]!.id]);
      await t.db.query(
        "insert into transcripts (id, project_id, status, audio_url, params) values ($1, $2, 'queued', 'http://x/a.wav', '{}')",
        [randomUUID(), id],
      );
    }

    await migrate(t.db);

    const { rows: twins } = await t.db.query<{ id: string }>("select id from projects where name = 'twin'");
    expect(twins).toEqual([{ id: ids[0] }]);
    for (const { key } of made) expect(await projectForKey(t.db, key)).toBe(ids[0]);
    const { rows } = await t.db.query<{ n: number }>('select count(*)::int as n from transcripts where project_id = $1', [ids[0]]);
    expect(rows[0]!.n).toBe(3);
    await expect(t.db.query("insert into projects (id, name) values ($1, 'twin')", [randomUUID()])).rejects.toThrow(/projects_name_key/);
  });
});
