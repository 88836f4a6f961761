import { UUID } from '../uuid.js';
import { text } from 'node:stream/consumers';
import { computePeaks } from '../audio/peaks.js';
import type { Queryable } from '../db/index.js';
import { removeUnreferenced, type BlobStore } from './blobs.js';

const PREFIX = 'peaks/';

/**
 * Waveform peaks of transcripts, one JSON blob each (`peaks/<id>.json`, in the blob store so every
 * node of a fleet serves them), computed once (by the pipeline while the audio is on local disk, or
 * on first request from a stored upload) and served as is.
 */
export class PeaksStore {
  /** Computations under way, so concurrent first requests decode the file once. */
  private readonly running = new Map<string, Promise<string>>();

  constructor(private readonly blobs: BlobStore) {}

  private keyOf(transcriptId: string): string {
    if (!UUID.test(transcriptId)) throw new Error(`not a transcript id: ${transcriptId}`);
    return `${PREFIX}${transcriptId}.json`;
  }

  /** The stored JSON text, or null. */
  async read(transcriptId: string): Promise<string | null> {
    const body = await this.blobs.get(this.keyOf(transcriptId));
    return body ? text(body) : null;
  }

  /** Computes and stores the peaks of `audioFile`; returns the JSON text. */
  compute(transcriptId: string, audioFile: string, signal?: AbortSignal): Promise<string> {
    const running = this.running.get(transcriptId);
    if (running) return running;
    const task = (async () => {
      const json = JSON.stringify(await computePeaks(audioFile, signal));
      await this.blobs.put(this.keyOf(transcriptId), [Buffer.from(json)]);
      return json;
    })().finally(() => this.running.delete(transcriptId));
    this.running.set(transcriptId, task);
    return task;
  }

  async remove(transcriptId: string): Promise<void> {
    await this.blobs.delete(this.keyOf(transcriptId));
  }

  /** Deletes the peaks of transcripts that are deleted or gone (a DELETE on a node whose disk they were not on). */
  removeOrphans(db: Queryable): Promise<number> {
    return removeUnreferenced(
      this.blobs,
      PREFIX,
      // A transcript exists before its peaks do: no blob here is waiting for its row.
      null,
      (key) => {
        const id = key.slice(PREFIX.length, -'.json'.length);
        return key.endsWith('.json') && UUID.test(id) ? id : null;
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
