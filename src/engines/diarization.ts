import { createRequire } from 'node:module';
import type { DiarizationModels } from './diarization-models.js';
import { SAMPLE_RATE } from './engine.js';

/** A stretch of audio (ms from the start of the audio given) and the diarizer's speaker number for it. */
export interface SpeakerTurn {
  start: number;
  end: number;
  speaker: number;
}

/** How many speakers to find: `exactly` (`speakers_expected`), else between `min` and `max` (null: upstream's default for the length). */
export interface SpeakerCount {
  exactly: number | null;
  min: number;
  max: number | null;
}

interface Clustering {
  numClusters: number;
  threshold: number;
}

interface SherpaDiarization {
  handle: unknown;
  sampleRate: number;
  setConfig(config: { clustering: Clustering }): void;
}

type Segment = { start: number; end: number; speaker: number };

const require = createRequire(import.meta.url);

// The values of sherpa-onnx's own Node example (nodejs-addon-examples/test_offline_speaker_diarization.js), so real
// pyannote and embedding models behave here as they do there: cosine threshold 0.5 when the count is unknown, segments
// under 0.2 s dropped, gaps under 0.5 s closed.
const THRESHOLD = 0.5;
const MIN_DURATION_ON = 0.2;
const MIN_DURATION_OFF = 0.5;

/** Upstream's default `max_speakers_expected`: no limit up to 2 minutes of audio, 10 up to 10 minutes, 30 beyond. */
export function defaultMaxSpeakers(durationMs: number): number | null {
  if (durationMs <= 120_000) return null;
  return durationMs <= 600_000 ? 10 : 30;
}

/**
 * sherpa-onnx's OfflineSpeakerDiarization (pyannote segmentation + a speaker-embedding extractor + clustering), run on
 * the native thread pool so the calling thread stays free. One native run at a time per instance: its clustering is
 * set before each run.
 */
export class Diarizer {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly sd: SherpaDiarization) {}

  static async load(models: DiarizationModels, threads: number): Promise<Diarizer> {
    // sherpa-onnx aborts the whole process on a file onnxruntime cannot parse (an uncaught Ort::Exception); onnxruntime-node
    // throws instead, so it opens both files first. (A valid ONNX file of the wrong kind can still make sherpa-onnx exit.)
    const { InferenceSession } = await import('onnxruntime-node');
    for (const [what, file] of [
      ['segmentation', models.segmentation],
      ['embedding', models.embedding],
    ] as const) {
      try {
        await (await InferenceSession.create(file)).release();
      } catch (err) {
        throw new Error(`the speaker ${what} model ${file} cannot be loaded: ${(err as Error).message}`);
      }
    }
    const sherpa = require('sherpa-onnx-node') as { OfflineSpeakerDiarization: new (config: object) => SherpaDiarization };
    const sd = new sherpa.OfflineSpeakerDiarization({
      segmentation: { pyannote: { model: models.segmentation }, numThreads: threads },
      embedding: { model: models.embedding, numThreads: threads },
      clustering: { numClusters: -1, threshold: THRESHOLD },
      minDurationOn: MIN_DURATION_ON,
      minDurationOff: MIN_DURATION_OFF,
    });
    if (sd.sampleRate !== SAMPLE_RATE)
      throw new Error(`the speaker segmentation model expects ${sd.sampleRate} Hz audio, not ${SAMPLE_RATE} Hz`);
    return new Diarizer(sd);
  }

  /**
   * Speaker turns of 16 kHz mono samples. A known count clusters into exactly that many; otherwise the threshold decides
   * and a result outside [min, max] is clustered again into the nearest bound. An abort rejects at once; a native run
   * already started cannot be stopped and finishes in the background, but no further run starts.
   */
  async diarize(samples: Float32Array, count: SpeakerCount, durationMs: number, signal?: AbortSignal): Promise<SpeakerTurn[]> {
    const run = (numClusters: number) =>
      abortable(
        this.exclusive(() => {
          signal?.throwIfAborted(); // a run queued behind an aborted one never starts
          return this.process(samples, numClusters);
        }),
        signal,
      );
    let segments: Segment[];
    if (count.exactly !== null) segments = await run(count.exactly);
    else {
      segments = await run(-1);
      const found = new Set(segments.map((s) => s.speaker)).size;
      const max = count.max ?? defaultMaxSpeakers(durationMs);
      if (found > 0 && found < count.min) segments = await run(count.min);
      else if (max !== null && found > max) segments = await run(max);
    }
    return segments.map((s) => ({ start: Math.round(s.start * 1000), end: Math.round(s.end * 1000), speaker: s.speaker }));
  }

  private process(samples: Float32Array, numClusters: number): Promise<Segment[]> {
    this.sd.setConfig({ clustering: { numClusters, threshold: THRESHOLD } });
    // The async variant (the addon's, not yet wrapped by the 1.13 class) runs on libuv's pool instead of blocking this thread.
    const addon = require('sherpa-onnx-node/addon.js') as {
      offlineSpeakerDiarizationProcessAsync(
        handle: unknown,
        samples: Float32Array,
        onProgress: (done: number, total: number) => number,
      ): Promise<Segment[]>;
    };
    // It takes a progress callback (required; its return value is ignored, so it cannot stop the run).
    return addon.offlineSpeakerDiarizationProcessAsync(this.sd.handle, samples, () => 0);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const NO_BYTES = Buffer.alloc(0);

/** 16-bit little-endian PCM chunks (as the decoder gave them, split anywhere) as float samples in [-1, 1]; releases each chunk once read. */
export function pcmToFloat(chunks: Buffer[]): Float32Array {
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Float32Array(Math.floor(bytes / 2));
  let i = 0;
  let carry: number | null = null;
  for (let k = 0; k < chunks.length; k++) {
    const c = chunks[k]!;
    chunks[k] = NO_BYTES;
    let j = 0;
    if (carry !== null && c.length > 0) {
      out[i++] = ((((c[0]! << 8) | carry) << 16) >> 16) / 32768;
      carry = null;
      j = 1;
    }
    for (; j + 1 < c.length; j += 2) out[i++] = c.readInt16LE(j) / 32768;
    if (j < c.length) carry = c[j]!;
  }
  return out;
}
