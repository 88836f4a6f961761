import { UUID } from '../uuid.js';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Db } from '../db/index.js';
import { copyBlobToFile, removeUnreferenced, type BlobInfo, type BlobStore, type ByteRange } from './blobs.js';

export class UploadTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`upload exceeds ${limit} bytes`);
  }
}

export interface UploadRow {
  id: string;
  project_id: string;
  size: number;
  created_at: Date;
  expires_at: Date;
}

const PREFIX = 'uploads/';

/**
 * An upload whose row the shared database has but whose bytes are on another node's disk: local
 * storage on a fleet. The message names the cause and the fix; it goes to the user as is.
 */
export class UploadNotHeldError extends Error {
  constructor() {
    super(
      'The uploaded file is not stored on this server: uploads are stored on the node that received them; set EARSHOT_STORAGE_URL for a fleet.',
    );
  }
}

/** Streams an upload body, counting it and stopping past `maxBytes`; `size()` is what went through. */
function limited(body: Readable, maxBytes: number): { chunks: AsyncIterable<Buffer>; size: () => number } {
  let size = 0;
  // An iterator that leaves the request alone on failure: destroying it would reset the connection,
  // and the client would see a broken pipe instead of the 413 (see app.ts).
  const source = body.iterator({ destroyOnReturn: false });
  async function* chunks() {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new UploadTooLargeError(maxBytes);
      yield chunk;
    }
  }
  return { chunks: chunks(), size: () => size };
}

/** Uploads: a row each in the database, the bytes in the blob store under `uploads/<id>`. */
export class UploadStore {
  constructor(
    private readonly db: Pick<Db, 'query' | 'kind'>,
    readonly blobs: BlobStore,
    private readonly ttlHours: number,
  ) {}

  static keyOf(id: string): string {
    if (!UUID.test(id)) throw new Error(`not an upload id: ${id}`);
    return `${PREFIX}${id.toLowerCase()}`;
  }

  /** Streams `body` to the blob store (never whole in memory), stopping at `maxBytes`. */
  async save(body: Readable, projectId: string, maxBytes: number): Promise<UploadRow> {
    const id = randomUUID();
    const key = UploadStore.keyOf(id);
    const counted = limited(body, maxBytes);
    try {
      await this.blobs.put(key, counted.chunks);
    } catch (err) {
      // An object store may report the stream's failure in its own words.
      if (counted.size() > maxBytes) throw new UploadTooLargeError(maxBytes);
      throw err;
    }
    const size = counted.size();
    if (size === 0) {
      await this.blobs.delete(key);
      return { id, project_id: projectId, size: 0, created_at: new Date(), expires_at: new Date() };
    }
    // The TTL may be fractional (EARSHOT_UPLOAD_TTL_HOURS=0.5); make_interval(hours => …) takes integers only.
    const { rows } = await this.db.query<UploadRow>(
      `insert into uploads (id, project_id, size, expires_at) values ($1, $2, $3, now() + $4::float8 * interval '1 hour')
       returning id, project_id, size, created_at, expires_at`,
      [id, projectId, size, this.ttlHours],
    );
    return rows[0]!;
  }

  async get(id: string): Promise<UploadRow | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await this.db.query<UploadRow>('select id, project_id, size, created_at, expires_at from uploads where id = $1', [id]);
    return rows[0] ?? null;
  }

  /**
   * A missing blob of a stored upload: gone, unless the database is shared and the disk is not,
   * where it is most likely on the node that received it.
   */
  private missing(): null {
    if (!this.blobs.shared && this.db.kind === 'postgres') throw new UploadNotHeldError();
    return null;
  }

  /** Size and time of a stored upload's bytes; null when they are gone. Throws UploadNotHeldError. */
  async stat(upload: UploadRow): Promise<BlobInfo | null> {
    return (await this.blobs.stat(UploadStore.keyOf(upload.id))) ?? this.missing();
  }

  /** A stored upload's bytes (a range of them); null when they are gone. Throws UploadNotHeldError. */
  async open(upload: UploadRow, range?: ByteRange): Promise<Readable | null> {
    return (await this.blobs.get(UploadStore.keyOf(upload.id), range)) ?? this.missing();
  }

  /**
   * A stored upload as a local file for ffmpeg: the blob itself on local disk, else a copy at
   * `tmpFile` that `cleanup` removes. Null when the bytes are gone. Throws UploadNotHeldError.
   */
  async localFile(
    upload: UploadRow,
    tmpFile: string,
    signal?: AbortSignal,
  ): Promise<{ file: string; cleanup: () => Promise<void> } | null> {
    const key = UploadStore.keyOf(upload.id);
    const local = this.blobs.localPath(key);
    if (local) return (await this.blobs.stat(key)) ? { file: local, cleanup: async () => undefined } : this.missing();
    const cleanup = () => rm(tmpFile, { force: true });
    await mkdir(path.dirname(tmpFile), { recursive: true });
    try {
      return (await copyBlobToFile(this.blobs, key, tmpFile, signal)) ? { file: tmpFile, cleanup } : this.missing();
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    await this.db.query('delete from uploads where id = $1', [id]);
    await this.blobs.delete(UploadStore.keyOf(id));
  }

  /** Deletes expired uploads that no live transcript uses. Returns how many went. */
  async removeExpired(): Promise<number> {
    const { rows } = await this.db.query<{ id: string }>(
      `select u.id from uploads u
        where u.expires_at < now()
          and not exists (select 1 from transcripts t where t.upload_id = u.id and t.deleted_at is null)`,
    );
    for (const { id } of rows) await this.remove(id);
    return rows.length;
  }

  /**
   * Deletes upload blobs older than `graceMs` that have no row: removed by another node (whose
   * disk it was not), or cut off by a crash between storing and recording. Returns how many went.
   */
  async removeOrphans(graceMs: number): Promise<number> {
    return removeUnreferenced(
      this.blobs,
      PREFIX,
      new Date(Date.now() - graceMs),
      (key) => (UUID.test(key.slice(PREFIX.length)) ? key.slice(PREFIX.length) : null),
      async (ids) => {
        const { rows } = await this.db.query<{ id: string }>('select id from uploads where id = any($1::uuid[])', [ids]);
        return new Set(rows.map((r) => r.id));
      },
    );
  }
}

/**
 * The upload id in an Earshot upload URL (`…/v2/upload/<id>`), whatever host it names, in every spelling the
 * server would route to it too (`%2D` for `-`, doubled or trailing slashes), so none slips past the owner check.
 * Under any path: an `EARSHOT_PUBLIC_URL` with one (a proxy's `/earshot`) puts it in front of every `upload_url`.
 */
export function uploadIdFromUrl(audioUrl: string): string | null {
  try {
    const pathname = decodeURIComponent(new URL(audioUrl).pathname)
      .replace(/\/{2,}/g, '/')
      .replace(/\/$/, '');
    const m = /\/v2\/upload\/([0-9a-f-]{36})$/i.exec(pathname);
    return m && UUID.test(m[1]!) ? m[1]!.toLowerCase() : null;
  } catch {
    return null;
  }
}
