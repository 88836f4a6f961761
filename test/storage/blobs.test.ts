import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBlobToFile, FileBlobStore, type BlobStore } from '../../src/storage/blobs.js';
import { openBlobStore } from '../../src/storage/open-blobs.js';
import { S3BlobStore } from '../../src/storage/s3-blobs.js';
import { BLOB_KINDS, testBlobStore, type TestS3 } from '../helpers/s3.js';

async function keys(store: BlobStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.list(prefix)) out.push(b.key);
  return out.sort();
}

describe.each(BLOB_KINDS)('BlobStore (%s)', (kind) => {
  let s3: TestS3 | null;
  let dir: string;
  let store: BlobStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, dir, s3, close } = await testBlobStore(kind));
  });
  afterAll(() => close?.());

  it('stores a stream and gives it back whole, by range, with its size and time', async () => {
    const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    const before = Date.now() - 2000; // S3 times have whole seconds
    await store.put('uploads/a1', Readable.from([bytes.subarray(0, 3000), bytes.subarray(3000)]));
    expect(await buffer((await store.get('uploads/a1'))!)).toEqual(bytes);
    expect(await buffer((await store.get('uploads/a1', { start: 100, end: 199 }))!)).toEqual(bytes.subarray(100, 200));
    expect(await buffer((await store.get('uploads/a1', { start: 9990, end: 9999 }))!)).toEqual(bytes.subarray(9990));
    const info = (await store.stat('uploads/a1'))!;
    expect(info.size).toBe(10_000);
    expect(info.mtime.getTime()).toBeGreaterThanOrEqual(before);
    expect(info.mtime.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
  });

  it('replaces a blob put again under the same key', async () => {
    await store.put('peaks/p1.json', [Buffer.from('{"v":1}')]);
    await store.put('peaks/p1.json', [Buffer.from('{"v":2}')]);
    expect((await buffer((await store.get('peaks/p1.json'))!)).toString()).toBe('{"v":2}');
  });

  it('answers null for a missing blob, and deletes without error whether it exists or not', async () => {
    expect(await store.get('uploads/missing')).toBeNull();
    expect(await store.stat('uploads/missing')).toBeNull();
    await store.put('uploads/d1', [Buffer.from('x')]);
    await store.delete('uploads/d1');
    await store.delete('uploads/d1');
    expect(await store.stat('uploads/d1')).toBeNull();
  });

  it('leaves nothing behind when the body fails part-way, also past one multipart part', async () => {
    const before = await keys(store, 'uploads/');
    for (const total of [1000, 9 * 1024 * 1024]) {
      async function* failing() {
        for (let sent = 0; sent < total; sent += 64 * 1024) yield Buffer.alloc(64 * 1024, 7);
        throw new Error('client went away');
      }
      await expect(store.put('uploads/f1', failing())).rejects.toThrow();
      expect(await store.stat('uploads/f1')).toBeNull();
    }
    expect(await keys(store, 'uploads/')).toEqual(before);
    if (kind === 'file') expect(fs.readdirSync(path.join(dir, 'uploads')).filter((n) => n.startsWith('f1'))).toEqual([]);
  });

  it('streams a body larger than one multipart part', async () => {
    const part = Buffer.alloc(1024 * 1024, 3);
    async function* body() {
      for (let i = 0; i < 20; i++) yield part;
    }
    await store.put('uploads/big', body());
    expect((await store.stat('uploads/big'))!.size).toBe(20 * part.length);
    expect(await buffer((await store.get('uploads/big', { start: 19 * part.length, end: 19 * part.length + 9 }))!)).toEqual(
      part.subarray(0, 10),
    );
    await store.delete('uploads/big');
  });

  it('lists the keys under a prefix, and only those', async () => {
    await store.put('uploads/l1', [Buffer.from('1')]);
    await store.put('uploads/l2', [Buffer.from('2')]);
    await store.put('peaks/l3.json', [Buffer.from('3')]);
    const uploads = await keys(store, 'uploads/');
    expect(uploads).toEqual(expect.arrayContaining(['uploads/l1', 'uploads/l2']));
    expect(uploads.every((k) => k.startsWith('uploads/'))).toBe(true);
    expect(await keys(store, 'peaks/')).toEqual(expect.arrayContaining(['peaks/l3.json']));
    expect(await keys(store, 'nothing/')).toEqual([]);
    if (s3) {
      // Under its prefix in the bucket, where another deployment's keys do not mix in.
      expect(await s3.keys()).toEqual(expect.arrayContaining(['unit/test/uploads/l1', 'unit/test/peaks/l3.json']));
    }
  });

  it('copies a blob to a local file', async () => {
    await store.put('uploads/c1', [Buffer.from('copy me')]);
    const file = path.join(dir, 'copy');
    expect(await copyBlobToFile(store, 'uploads/c1', file)).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).toBe('copy me');
    expect(await copyBlobToFile(store, 'uploads/none', file)).toBe(false);
  });

  it('refuses keys that could reach outside the store', async () => {
    for (const bad of ['../etc/passwd', 'uploads/../../x', 'uploads/a/b', '/abs', 'uploads/']) {
      await expect(store.put(bad, [Buffer.from('x')])).rejects.toThrow('not a blob key');
      await expect(store.get(bad)).rejects.toThrow('not a blob key');
    }
  });

  it(`is a ${kind === 's3' ? 'shared' : 'local'} store`, () => {
    expect(store.shared).toBe(kind === 's3');
    expect(store.localPath('uploads/x')).toBe(kind === 'file' ? path.join(dir, 'uploads/x') : null);
  });
});

describe('openBlobStore', () => {
  it('keeps blobs in the data directory by default, or a file:// directory', async () => {
    const a = await openBlobStore({ dataDir: '/data', storageUrl: null, s3Endpoint: null });
    expect(a).toBeInstanceOf(FileBlobStore);
    expect((a as FileBlobStore).root).toBe('/data');
    const b = await openBlobStore({ dataDir: '/data', storageUrl: 'file:///srv/earshot', s3Endpoint: null });
    expect((b as FileBlobStore).root).toBe('/srv/earshot');
  });

  it('opens an S3 bucket and key prefix', async () => {
    const s = await openBlobStore({ dataDir: '/data', storageUrl: 's3://my-bucket/some/prefix/', s3Endpoint: 'http://minio:9000' });
    expect(s).toBeInstanceOf(S3BlobStore);
    expect((s as S3BlobStore).location).toEqual({ bucket: 'my-bucket', prefix: 'some/prefix', endpoint: 'http://minio:9000' });
  });
});
