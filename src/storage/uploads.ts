import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Queryable } from '../db/index.js';

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Upload files on local disk under `<data-dir>/uploads`, one file per upload, named by its id. */
export class UploadStore {
  readonly dir: string;

  constructor(
    private readonly db: Queryable,
    dataDir: string,
    private readonly ttlHours: number,
  ) {
    this.dir = path.join(dataDir, 'uploads');
  }

  pathOf(id: string): string {
    if (!UUID.test(id)) throw new Error(`not an upload id: ${id}`);
    return path.join(this.dir, id);
  }

  /** Streams `body` to disk (never whole in memory), stopping at `maxBytes`. */
  async save(body: Readable, projectId: string, maxBytes: number): Promise<UploadRow> {
    await mkdir(this.dir, { recursive: true });
    const id = randomUUID();
    const file = this.pathOf(id);
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > maxBytes) cb(new UploadTooLargeError(maxBytes));
        else cb(null, chunk);
      },
    });
    const out = createWriteStream(file);
    try {
      // Read through an iterator that leaves the request alone on failure: destroying it would reset the
      // connection, and the client would see a broken pipe instead of the 413 (see app.ts).
      await pipeline(body.iterator({ destroyOnReturn: false }), limit, out);
    } catch (err) {
      // The file may still be opening: remove it only once the stream has let go of it.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(file, { force: true });
      throw err;
    }
    if (size === 0) {
      await rm(file, { force: true });
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

  async remove(id: string): Promise<void> {
    await this.db.query('delete from uploads where id = $1', [id]);
    await rm(this.pathOf(id), { force: true });
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
}

/** The upload id in an Earshot upload URL (`…/v2/upload/<id>`), whatever host it names. */
export function uploadIdFromUrl(audioUrl: string): string | null {
  try {
    const m = /^\/v2\/upload\/([0-9a-f-]{36})$/i.exec(new URL(audioUrl).pathname);
    return m && UUID.test(m[1]!) ? m[1]!.toLowerCase() : null;
  } catch {
    return null;
  }
}
