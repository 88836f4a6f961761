import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { createKey } from '../../src/storage/keys.js';
import type { BlobStore } from '../../src/storage/blobs.js';
import { PeaksStore } from '../../src/storage/peaks.js';
import { UploadNotHeldError, UploadStore, UploadTooLargeError, uploadIdFromUrl } from '../../src/storage/uploads.js';
import { freshDb, type TestDb } from '../helpers/db.js';
import { BLOB_KINDS, testBlobStore } from '../helpers/s3.js';
import { STORAGE_MODES } from '../helpers/server.js';

function chunks(total: number, size = 1024): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(size, total - sent);
      sent += n;
      this.push(Buffer.alloc(n, sent % 251));
    },
  });
}

const MODES = STORAGE_MODES.flatMap((db) => BLOB_KINDS.map((blobs) => [db, blobs] as const));

describe.each(MODES)('UploadStore (%s database, %s blobs)', (storage, blobKind) => {
  let t: TestDb;
  let db: Db;
  let blobs: BlobStore;
  let closeBlobs: () => Promise<void>;
  let store: UploadStore;
  let projectA: string;
  let projectB: string;

  beforeAll(async () => {
    t = await freshDb(storage);
    ({ db } = t);
    ({ store: blobs, close: closeBlobs } = await testBlobStore(blobKind));
    store = new UploadStore(db, blobs, 24);
    projectA = (await createKey(db, { project: 'a' })).project_id;
    projectB = (await createKey(db, { project: 'b' })).project_id;
  });

  afterAll(async () => {
    await t?.drop();
    await closeBlobs?.();
  });

  const blobOf = (id: string) => blobs.stat(UploadStore.keyOf(id));
  const hasBlob = async (id: string) => (await blobOf(id)) !== null;

  async function insertTranscript(projectId: string, uploadId: string, deleted = false): Promise<string> {
    const id = randomUUID();
    await db.query(
      `insert into transcripts (id, project_id, status, audio_url, upload_id, params, deleted_at)
       values ($1, $2, 'completed', $3, $4, '{}'::jsonb, ${deleted ? 'now()' : 'null'})`,
      [id, projectId, `http://x/v2/upload/${uploadId}`, uploadId],
    );
    return id;
  }

  async function expire(id: string): Promise<void> {
    await db.query(`update uploads set created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour' where id = $1`, [
      id,
    ]);
  }

  async function uploadFiles(): Promise<string[]> {
    const keys: string[] = [];
    for await (const b of blobs.list('uploads/')) keys.push(b.key);
    return keys.sort();
  }

  describe('UploadStore.save', () => {
    it('streams the body to the blob uploads/<id> and records it with its project, size and expiry', async () => {
      const body = Buffer.from('RIFF....WAVEfmt some audio bytes');
      const row = await store.save(Readable.from([body.subarray(0, 10), body.subarray(10)]), projectA, 1000);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(UploadStore.keyOf(row.id)).toBe(`uploads/${row.id}`);
      expect(await buffer((await store.open(row))!)).toEqual(body);
      expect((await store.stat(row))!.size).toBe(body.length);
      expect(row).toMatchObject({ project_id: projectA, size: body.length });
      const ttlMs = row.expires_at.getTime() - row.created_at.getTime();
      expect(ttlMs).toBeGreaterThan(24 * 3600_000 - 5_000);
      expect(ttlMs).toBeLessThan(24 * 3600_000 + 5_000);
      expect(await store.get(row.id)).toEqual(row);
    });

    it('accepts a body of exactly the limit', async () => {
      const row = await store.save(chunks(4096), projectA, 4096);
      expect(row.size).toBe(4096);
    });

    it('stops a body over the limit with UploadTooLargeError, leaving no file and no row', async () => {
      const before = await uploadFiles();
      const { rows: rowsBefore } = await db.query<{ n: number }>('select count(*)::int as n from uploads');
      const err = await store.save(chunks(1_000_000), projectA, 10_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UploadTooLargeError);
      expect((err as UploadTooLargeError).limit).toBe(10_000);
      expect(await uploadFiles()).toEqual(before);
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from uploads');
      expect(rows[0]!.n).toBe(rowsBefore[0]!.n);
    });

    it('removes the partial file when the body stream fails', async () => {
      const before = await uploadFiles();
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(100));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(store.save(failing, projectA, 10_000)).rejects.toThrow('client went away');
      expect(await uploadFiles()).toEqual(before);
    });

    it('stores nothing for an empty body and reports size 0', async () => {
      const before = await uploadFiles();
      const row = await store.save(Readable.from([]), projectA, 1000);
      expect(row.size).toBe(0);
      expect(await store.get(row.id)).toBeNull();
      expect(await uploadFiles()).toEqual(before);
    });
  });

  describe('UploadStore.get and keyOf', () => {
    it('returns null for unknown and malformed ids', async () => {
      expect(await store.get(randomUUID())).toBeNull();
      expect(await store.get('../../etc/passwd')).toBeNull();
    });

    it('refuses to build a key from anything but an upload id', () => {
      expect(() => UploadStore.keyOf('../db')).toThrow();
      expect(() => UploadStore.keyOf(`${randomUUID()}/../../x`)).toThrow();
    });
  });

  describe('reading an upload back', () => {
    it('gives a range of the bytes, and a local file for ffmpeg', async () => {
      const row = await store.save(chunks(5000), projectA, 10_000);
      const all = await buffer((await store.open(row))!);
      expect(await buffer((await store.open(row, { start: 1000, end: 1999 }))!)).toEqual(all.subarray(1000, 2000));
      const tmp = path.join(t.dataDir, 'tmp', `${row.id}-1`);
      const local = (await store.localFile(row, tmp))!;
      expect(readFileSync(local.file)).toEqual(all);
      // Local disk: the blob itself, no copy; an object store: a copy that cleanup removes.
      expect(local.file === tmp).toBe(blobKind === 's3');
      await local.cleanup();
      expect(existsSync(local.file)).toBe(blobKind === 'file');
    });

    it(`answers for bytes that are gone: ${storage === 'postgres' && blobKind === 'file' ? 'held by another node' : 'gone'}`, async () => {
      const row = await store.save(chunks(100), projectA, 1000);
      await blobs.delete(UploadStore.keyOf(row.id));
      const tmp = path.join(t.dataDir, 'tmp', `${row.id}-1`);
      if (storage === 'postgres' && blobKind === 'file') {
        // A shared database with local disks: another node took the upload, and the error says what to set.
        await expect(store.stat(row)).rejects.toThrow(UploadNotHeldError);
        await expect(store.open(row)).rejects.toThrow(/stored on the node that received them; set EARSHOT_STORAGE_URL for a fleet/);
        await expect(store.localFile(row, tmp)).rejects.toThrow(UploadNotHeldError);
      } else {
        expect(await store.stat(row)).toBeNull();
        expect(await store.open(row)).toBeNull();
        expect(await store.localFile(row, tmp)).toBeNull();
      }
      expect(existsSync(tmp)).toBe(false);
    });
  });

  describe('UploadStore.remove', () => {
    it('deletes the row and the blob', async () => {
      const row = await store.save(chunks(100), projectA, 1000);
      expect(await hasBlob(row.id)).toBe(true);
      await store.remove(row.id);
      expect(await hasBlob(row.id)).toBe(false);
      expect(await store.get(row.id)).toBeNull();
    });

    it('does not fail when the blob is already gone', async () => {
      const row = await store.save(chunks(100), projectA, 1000);
      await blobs.delete(UploadStore.keyOf(row.id));
      await store.remove(row.id);
      expect(await store.get(row.id)).toBeNull();
    });
  });

  describe('UploadStore.removeExpired', () => {
    it('removes only expired uploads that no live transcript uses', async () => {
      // Start from a clean slate so the count is this test's alone.
      await db.query('delete from transcripts');
      for (const { id } of (await db.query<{ id: string }>('select id from uploads')).rows) await store.remove(id);

      const fresh = await store.save(chunks(10), projectA, 1000);
      const expiredUnused = await store.save(chunks(10), projectA, 1000);
      const expiredUsed = await store.save(chunks(10), projectA, 1000);
      const expiredUsedByDeleted = await store.save(chunks(10), projectB, 1000);
      const freshUsed = await store.save(chunks(10), projectB, 1000);
      for (const u of [expiredUnused, expiredUsed, expiredUsedByDeleted]) await expire(u.id);
      await insertTranscript(projectA, expiredUsed.id);
      await insertTranscript(projectB, expiredUsedByDeleted.id, true);
      await insertTranscript(projectB, freshUsed.id);

      expect(await store.removeExpired()).toBe(2);

      for (const kept of [fresh, expiredUsed, freshUsed]) {
        expect(await store.get(kept.id)).not.toBeNull();
        expect(await hasBlob(kept.id)).toBe(true);
      }
      for (const gone of [expiredUnused, expiredUsedByDeleted]) {
        expect(await store.get(gone.id)).toBeNull();
        expect(await hasBlob(gone.id)).toBe(false);
      }
      expect(await store.removeExpired()).toBe(0);
    });

    it('removes an upload once the transcript using it is deleted', async () => {
      const up = await store.save(chunks(10), projectA, 1000);
      await expire(up.id);
      const t = await insertTranscript(projectA, up.id);
      expect(await store.removeExpired()).toBe(0);
      await db.query('update transcripts set deleted_at = now() where id = $1', [t]);
      expect(await store.removeExpired()).toBe(1);
      expect(await store.get(up.id)).toBeNull();
    });

    it('honours the configured TTL', async () => {
      const shortLived = new UploadStore(db, blobs, 0.0001); // 0.36 s
      const up = await shortLived.save(chunks(10), projectA, 1000);
      expect(await shortLived.removeExpired()).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(await shortLived.removeExpired()).toBe(1);
      expect(await hasBlob(up.id)).toBe(false);
    });
  });

  describe('orphaned blobs', () => {
    it('removes upload blobs whose row is gone once past the grace period, and keeps the rest', async () => {
      const kept = await store.save(chunks(10), projectA, 1000);
      const orphan = await store.save(chunks(10), projectA, 1000);
      // Another node deleted it: the row went, the bytes stayed where that node could not reach.
      await db.query('delete from uploads where id = $1', [orphan.id]);
      expect(await store.removeOrphans(3600_000)).toBe(0); // too young: it may be waiting for its row
      await new Promise((r) => setTimeout(r, blobKind === 's3' ? 1100 : 20)); // S3 times have whole seconds
      expect(await store.removeOrphans(0)).toBe(1);
      expect(await hasBlob(orphan.id)).toBe(false);
      expect(await hasBlob(kept.id)).toBe(true);
    });

    it('removes the peaks of deleted and unknown transcripts only', async () => {
      const peaks = new PeaksStore(blobs);
      const up = await store.save(chunks(10), projectA, 1000);
      const live = await insertTranscript(projectA, up.id);
      const deleted = await insertTranscript(projectA, up.id, true);
      const unknown = randomUUID();
      for (const id of [live, deleted, unknown]) await blobs.put(`peaks/${id}.json`, [Buffer.from('{}')]);
      expect(await peaks.removeOrphans(db)).toBe(2);
      expect(await peaks.read(live)).toBe('{}');
      expect(await peaks.read(deleted)).toBeNull();
      expect(await peaks.read(unknown)).toBeNull();
    });
  });
});

describe('uploadIdFromUrl', () => {
  const id = randomUUID();
  it('reads the id from an upload URL on any host, lowercased', () => {
    expect(uploadIdFromUrl(`http://127.0.0.1:8976/v2/upload/${id}`)).toBe(id);
    expect(uploadIdFromUrl(`https://earshot.example.com/v2/upload/${id.toUpperCase()}?x=1`)).toBe(id);
    // Behind a proxy, EARSHOT_PUBLIC_URL's path comes first.
    expect(uploadIdFromUrl(`https://example.com/earshot/v2/upload/${id}`)).toBe(id);
  });
  it('returns null for anything else', () => {
    expect(uploadIdFromUrl(`https://example.com/audio/${id}`)).toBeNull();
    expect(uploadIdFromUrl(`https://example.com/v2/upload/${id}/extra`)).toBeNull();
    expect(uploadIdFromUrl(`https://example.com/earshotv2/upload/${id}`)).toBeNull();
    expect(uploadIdFromUrl('https://example.com/v2/upload/not-an-id')).toBeNull();
    expect(uploadIdFromUrl('not a url')).toBeNull();
  });
});
