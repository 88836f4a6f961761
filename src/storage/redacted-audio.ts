import { UUID } from '../uuid.js';
import type { Readable } from 'node:stream';
import type { Queryable } from '../db/index.js';
import type { RedactedAudioInfo } from '../transcript/types.js';
import { removeUnreferenced, type BlobInfo, type BlobStore, type ByteRange } from './blobs.js';

const PREFIX = 'redacted/';
const FORMATS: RedactedAudioInfo['format'][] = ['mp3', 'wav'];
/** A file is written before the result that names it is stored: a job still finishing keeps its file this long. */
const ORPHAN_GRACE_MS = 3600_000;

/**
 * `redact_pii_audio` files, one blob per transcript (`redacted/<id>.mp3` or `.wav`) in the blob
 * store, so every node of a fleet serves them; removed with their transcript.
 */
export class RedactedAudioStore {
  constructor(private readonly blobs: BlobStore) {}

  private keyOf(transcriptId: string, format: RedactedAudioInfo['format']): string {
    if (!UUID.test(transcriptId)) throw new Error(`not a transcript id: ${transcriptId}`);
    return `${PREFIX}${transcriptId}.${format}`;
  }

  put(transcriptId: string, format: RedactedAudioInfo['format'], body: Parameters<BlobStore['put']>[1]): Promise<void> {
    return this.blobs.put(this.keyOf(transcriptId, format), body);
  }

  open(transcriptId: string, format: RedactedAudioInfo['format'], range?: ByteRange): Promise<Readable | null> {
    return this.blobs.get(this.keyOf(transcriptId, format), range);
  }

  stat(transcriptId: string, format: RedactedAudioInfo['format']): Promise<BlobInfo | null> {
    return this.blobs.stat(this.keyOf(transcriptId, format));
  }

  async remove(transcriptId: string): Promise<void> {
    for (const format of FORMATS) await this.blobs.delete(this.keyOf(transcriptId, format));
  }

  /** Deletes the files of transcripts that are deleted or gone (a DELETE on a node whose disk they were not on, a result discarded after a DELETE). */
  removeOrphans(db: Queryable, graceMs = ORPHAN_GRACE_MS): Promise<number> {
    return removeUnreferenced(
      this.blobs,
      PREFIX,
      new Date(Date.now() - graceMs),
      (key) => {
        const m = /^redacted\/([0-9a-f-]{36})\.(mp3|wav)$/.exec(key);
        return m && UUID.test(m[1]!) ? m[1]! : null;
      },
      async (ids) => {
        const { rows } = await db.query<{ id: string }>('select id from transcripts where id = any($1::uuid[]) and deleted_at is null', [
          ids,
        ]);
        return new Set(rows.map((r) => r.id));
      },
    );
  }
}
