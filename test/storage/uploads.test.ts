import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { createKey } from '../../src/storage/keys.js';
import { UploadStore, UploadTooLargeError, uploadIdFromUrl } from '../../src/storage/uploads.js';
import { freshDb, type TestDb } from '../helpers/db.js';
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

describe.each(STORAGE_MODES)('UploadStore (%s)', (storage) => {
  let t: TestDb;
  let dataDir: string;
  let db: Db;
  let store: UploadStore;
  let projectA: string;
  let projectB: string;

  beforeAll(async () => {
    t = await freshDb(storage);
    ({ db, dataDir } = t);
    store = new UploadStore(db, dataDir, 24);
    projectA = (await createKey(db, { project: 'a' })).project_id;
    projectB = (await createKey(db, { project: 'b' })).project_id;
  });

  afterAll(async () => {
    await t?.drop();
  });

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
    await db.query(`update uploads set created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour' where id = $1`, [id]);
  }

  const uploadFiles = () => (existsSync(store.dir) ? readdirSync(store.dir) : []);

  describe('UploadStore.save', () => {
    it('streams the body to <dataDir>/uploads/<id> and records it with its project, size and expiry', async () => {
      const body = Buffer.from('RIFF....WAVEfmt some audio bytes');
      const row = await store.save(Readable.from([body.subarray(0, 10), body.subarray(10)]), projectA, 1000);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(store.pathOf(row.id)).toBe(path.join(dataDir, 'uploads', row.id));
      expect(readFileSync(store.pathOf(row.id))).toEqual(body);
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
      const before = uploadFiles();
      const { rows: rowsBefore } = await db.query<{ n: number }>('select count(*)::int as n from uploads');
      const err = await store.save(chunks(1_000_000), projectA, 10_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UploadTooLargeError);
      expect((err as UploadTooLargeError).limit).toBe(10_000);
      expect(uploadFiles()).toEqual(before);
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from uploads');
      expect(rows[0]!.n).toBe(rowsBefore[0]!.n);
    });

    it('removes the partial file when the body stream fails', async () => {
      const before = uploadFiles();
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(100));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(store.save(failing, projectA, 10_000)).rejects.toThrow('client went away');
      expect(uploadFiles()).toEqual(before);
    });

    it('stores nothing for an empty body and reports size 0', async () => {
      const before = uploadFiles();
      const row = await store.save(Readable.from([]), projectA, 1000);
      expect(row.size).toBe(0);
      expect(await store.get(row.id)).toBeNull();
      expect(uploadFiles()).toEqual(before);
    });
  });

  describe('UploadStore.get and pathOf', () => {
    it('returns null for unknown and malformed ids', async () => {
      expect(await store.get(randomUUID())).toBeNull();
      expect(await store.get('../../etc/passwd')).toBeNull();
    });

    it('refuses to build a path from anything but an upload id', () => {
      expect(() => store.pathOf('../db')).toThrow();
      expect(() => store.pathOf(`${randomUUID()}/../../x`)).toThrow();
    });
  });

  describe('UploadStore.remove', () => {
    it('deletes the row and the file', async () => {
      const row = await store.save(chunks(100), projectA, 1000);
      expect(existsSync(store.pathOf(row.id))).toBe(true);
      await store.remove(row.id);
      expect(existsSync(store.pathOf(row.id))).toBe(false);
      expect(await store.get(row.id)).toBeNull();
    });

    it('does not fail when the file is already gone', async () => {
      const row = await store.save(chunks(100), projectA, 1000);
      rmSync(store.pathOf(row.id));
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
        expect(existsSync(store.pathOf(kept.id))).toBe(true);
      }
      for (const gone of [expiredUnused, expiredUsedByDeleted]) {
        expect(await store.get(gone.id)).toBeNull();
        expect(existsSync(store.pathOf(gone.id))).toBe(false);
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
      const shortLived = new UploadStore(db, dataDir, 0.0001); // 0.36 s
      const up = await shortLived.save(chunks(10), projectA, 1000);
      expect(await shortLived.removeExpired()).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(await shortLived.removeExpired()).toBe(1);
      expect(existsSync(store.pathOf(up.id))).toBe(false);
    });
  });
});

describe('uploadIdFromUrl', () => {
  const id = randomUUID();
  it('reads the id from an upload URL on any host, lowercased', () => {
    expect(uploadIdFromUrl(`http://127.0.0.1:8976/v2/upload/${id}`)).toBe(id);
    expect(uploadIdFromUrl(`https://earshot.example.com/v2/upload/${id.toUpperCase()}?x=1`)).toBe(id);
  });
  it('returns null for anything else', () => {
    expect(uploadIdFromUrl(`https://example.com/audio/${id}`)).toBeNull();
    expect(uploadIdFromUrl(`https://example.com/v2/upload/${id}/extra`)).toBeNull();
    expect(uploadIdFromUrl('https://example.com/v2/upload/not-an-id')).toBeNull();
    expect(uploadIdFromUrl('not a url')).toBeNull();
  });
});
