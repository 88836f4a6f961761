import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface BlobInfo {
  size: number;
  mtime: Date;
}

/** An inclusive byte range, as HTTP's Range header has it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where Earshot keeps the bytes a node writes for another to read (uploads, waveform peaks), by key
 * (`uploads/<id>`, `peaks/<id>.json`): the local disk, or an S3-compatible object store every node shares.
 */
export interface BlobStore {
  /** Whether every node of a fleet sees the same blobs. */
  readonly shared: boolean;
  /** Streams `body` in, never whole in memory. A reader sees the blob whole or not at all; on failure nothing is left. */
  put(key: string, body: Iterable<Buffer> | AsyncIterable<Buffer> | Readable): Promise<void>;
  /** The blob's bytes (a range of them), or null when there is no such blob. */
  get(key: string, range?: ByteRange): Promise<Readable | null>;
  stat(key: string): Promise<BlobInfo | null>;
  /** Removes the blob; no error if it is already gone. */
  delete(key: string): Promise<void>;
  /** Keys under `prefix` (e.g. `uploads/`), with when they were written. */
  list(prefix: string): AsyncIterable<{ key: string; mtime: Date }>;
  /** The blob as a file on this machine, when it is one (local disk): readers can skip a copy. */
  localPath(key: string): string | null;
}

// Keys are made by Earshot from ids; checking them keeps a bad one from reaching outside the store.
export const BLOB_KEY = /^[a-z]+\/[0-9a-z][0-9a-z.-]*$/i;
export function checkKey(key: string): string {
  if (!BLOB_KEY.test(key) || key.includes('..')) throw new Error(`not a blob key: ${key}`);
  return key;
}

const TMP_SUFFIX = '.tmp';

/** Blobs as files under a directory (`<data-dir>` by default: `<data-dir>/uploads/<id>`). */
export class FileBlobStore implements BlobStore {
  readonly shared = false;

  constructor(readonly root: string) {}

  localPath(key: string): string {
    return path.join(this.root, checkKey(key));
  }

  async put(key: string, body: Iterable<Buffer> | AsyncIterable<Buffer> | Readable): Promise<void> {
    const file = this.localPath(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Written aside and renamed, so a reader on this or another process never sees half a file.
    const tmp = `${file}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`;
    const out = createWriteStream(tmp);
    try {
      await pipeline(body, out);
      await rename(tmp, file);
    } catch (err) {
      // The file may still be opening: remove it only once the stream has let go of it.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable | null> {
    const file = this.localPath(key);
    // Opened before returning, so a missing file is a null here rather than an error event later.
    const stream = createReadStream(file, range);
    try {
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      });
    } catch (err) {
      stream.destroy();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return stream;
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const info = await stat(this.localPath(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    return info ? { size: info.size, mtime: info.mtime } : null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<{ key: string; mtime: Date }> {
    const dir = path.join(this.root, prefix);
    const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const name of names) {
      const key = `${prefix}${name}`;
      // A put under way (or cut off by a crash) is not a blob yet.
      if (name.endsWith(TMP_SUFFIX) || !BLOB_KEY.test(key)) continue;
      const info = await this.stat(key);
      if (info) yield { key, mtime: info.mtime };
    }
  }
}

/** Copies a blob to a local file (for ffmpeg, which wants a seekable input). False when there is no such blob. */
export async function copyBlobToFile(store: BlobStore, key: string, file: string, signal?: AbortSignal): Promise<boolean> {
  const body = await store.get(key);
  if (!body) return false;
  await pipeline(body, createWriteStream(file), { signal });
  return true;
}

/**
 * Deletes the blobs under `prefix` (written before `before`, when given) whose id (`idOf(key)`, null
 * to leave a key alone) `kept` does not return: one query per page of ids, not one per blob. Returns how many went.
 */
export async function removeUnreferenced(
  store: BlobStore,
  prefix: string,
  before: Date | null,
  idOf: (key: string) => string | null,
  kept: (ids: string[]) => Promise<Set<string>>,
): Promise<number> {
  let removed = 0;
  let batch: { id: string; key: string }[] = [];
  const flush = async () => {
    const keep = await kept(batch.map((b) => b.id));
    for (const b of batch) {
      if (keep.has(b.id)) continue;
      await store.delete(b.key);
      removed++;
    }
    batch = [];
  };
  for await (const blob of store.list(prefix)) {
    const id = idOf(blob.key);
    if (id === null || (before && blob.mtime >= before)) continue;
    batch.push({ id, key: blob.key });
    if (batch.length === 500) await flush();
  }
  if (batch.length) await flush();
  return removed;
}
