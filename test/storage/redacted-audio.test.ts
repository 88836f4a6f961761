import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/storage/blobs.js';
import { createKey } from '../../src/storage/keys.js';
import { RedactedAudioStore } from '../../src/storage/redacted-audio.js';
import { freshDb, type TestDb } from '../helpers/db.js';
import { BLOB_KINDS, testBlobStore } from '../helpers/s3.js';

describe.each(BLOB_KINDS)('RedactedAudioStore (%s blobs)', (kind) => {
  let t: TestDb;
  let blobs: BlobStore;
  let close: () => Promise<void>;
  let store: RedactedAudioStore;
  let project: string;

  beforeAll(async () => {
    t = await freshDb('pglite');
    ({ store: blobs, close } = await testBlobStore(kind));
    store = new RedactedAudioStore(blobs);
    project = (await createKey(t.db, { project: 'p' })).project_id;
  });
  afterAll(async () => {
    await t?.drop();
    await close?.();
  });

  async function transcript(deleted: boolean): Promise<string> {
    const id = randomUUID();
    await t.db.query(
      `insert into transcripts (id, project_id, status, audio_url, params, deleted_at) values ($1, $2, 'completed', 'http://x/a.mp3', '{}'::jsonb, ${deleted ? 'now()' : 'null'})`,
      [id, project],
    );
    return id;
  }

  it('stores, serves a range and removes both formats of a transcript', async () => {
    const id = await transcript(false);
    await store.put(id, 'wav', [Buffer.from('RIFF1234')]);
    expect((await store.stat(id, 'wav'))?.size).toBe(8);
    expect((await buffer((await store.open(id, 'wav', { start: 4, end: 7 }))!)).toString()).toBe('1234');
    expect(await store.open(id, 'mp3')).toBeNull();
    await store.remove(id);
    expect(await store.stat(id, 'wav')).toBeNull();
  });

  it('sweeps the files of deleted and unknown transcripts once past the grace period, and keeps the rest', async () => {
    const live = await transcript(false);
    const deleted = await transcript(true);
    const unknown = randomUUID();
    for (const id of [live, deleted, unknown]) await store.put(id, 'mp3', [Buffer.from('ID3')]);
    expect(await store.removeOrphans(t.db)).toBe(0); // young: a job may still be storing the result that names it
    await new Promise((r) => setTimeout(r, kind === 's3' ? 1100 : 20)); // S3 times have whole seconds
    expect(await store.removeOrphans(t.db, 0)).toBe(2);
    expect(await store.stat(live, 'mp3')).not.toBeNull();
    expect(await store.stat(deleted, 'mp3')).toBeNull();
    expect(await store.stat(unknown, 'mp3')).toBeNull();
  });

  it('refuses a key that is not a transcript id', async () => {
    expect(() => store.put('../uploads/x', 'mp3', [Buffer.from('x')])).toThrow(/not a transcript id/);
  });
});
