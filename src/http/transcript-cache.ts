import type { Db } from '../db/index.js';
import { getTranscript } from '../storage/transcripts.js';
import type { TranscriptRow } from '../transcript/types.js';

/**
 * Clients poll `GET /v2/transcript/{id}` every few seconds, often many at once. Rows are cached
 * here and dropped on every local write. With the embedded database this process is the only
 * writer, so the cache is exact; with a shared PostgreSQL other nodes also write, so entries
 * live only `sharedTtlMs` (a poll may see a state up to that much late).
 */
export class TranscriptCache {
  private readonly rows = new Map<string, { row: TranscriptRow; until: number }>();
  private readonly ttlMs: number;

  constructor(
    private readonly db: Db,
    sharedTtlMs = 1_000,
    private readonly maxEntries = 5_000,
  ) {
    this.ttlMs = db.kind === 'pglite' ? Number.POSITIVE_INFINITY : sharedTtlMs;
  }

  async get(id: string, projectId: string): Promise<TranscriptRow | null> {
    const now = Date.now();
    const hit = this.rows.get(id);
    if (hit && hit.until > now) return hit.row.project_id === projectId ? hit.row : null;
    const row = await getTranscript(this.db, id);
    if (!row) return null;
    if (this.rows.size >= this.maxEntries) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(id, { row, until: now + this.ttlMs });
    return row.project_id === projectId ? row : null;
  }

  invalidate(id: string): void {
    this.rows.delete(id);
  }
}
