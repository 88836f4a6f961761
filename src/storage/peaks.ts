import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { computePeaks } from '../audio/peaks.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Waveform peaks of transcripts, one JSON file each under `<data-dir>/peaks`, computed once (by the
 * pipeline while the audio is on local disk, or on first request from a stored upload) and served as is.
 */
export class PeaksStore {
  readonly dir: string;
  /** Computations under way, so concurrent first requests decode the file once. */
  private readonly running = new Map<string, Promise<string>>();

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'peaks');
  }

  private pathOf(transcriptId: string): string {
    if (!UUID.test(transcriptId)) throw new Error(`not a transcript id: ${transcriptId}`);
    return path.join(this.dir, `${transcriptId}.json`);
  }

  /** The stored JSON text, or null. */
  async read(transcriptId: string): Promise<string | null> {
    try {
      return await readFile(this.pathOf(transcriptId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Computes and stores the peaks of `audioFile`; returns the JSON text. */
  compute(transcriptId: string, audioFile: string, signal?: AbortSignal): Promise<string> {
    const running = this.running.get(transcriptId);
    if (running) return running;
    const task = (async () => {
      const json = JSON.stringify(await computePeaks(audioFile, signal));
      await mkdir(this.dir, { recursive: true });
      // Written aside and renamed, so a reader never sees half a file.
      const file = this.pathOf(transcriptId);
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, json);
      await rename(tmp, file);
      return json;
    })().finally(() => this.running.delete(transcriptId));
    this.running.set(transcriptId, task);
    return task;
  }

  async remove(transcriptId: string): Promise<void> {
    await rm(this.pathOf(transcriptId), { force: true });
  }
}

const stores = new Map<string, PeaksStore>();

/** The one store per data directory, so the pipeline and the routes share their in-flight computations. */
export function peaksStore(dataDir: string): PeaksStore {
  let store = stores.get(dataDir);
  if (!store) stores.set(dataDir, (store = new PeaksStore(dataDir)));
  return store;
}
