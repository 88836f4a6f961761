import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { EngineWord, StreamingHypothesis } from '../engines/engine.js';
import type { LanguageIdModel, LanguageScore } from '../engines/language-id.js';
import type { Logger } from '../log.js';

export type DecoderRequest =
  /**
   * `embeddingModel`: keep the utterance's audio and give its voice embedding at `end` (live speaker labels);
   * `languageIdModel`: likewise, its most probable language (live language detection).
   */
  | { id: number; op: 'open'; session: string; embeddingModel: string | null; languageIdModel: LanguageIdModel | null }
  | { id: number; op: 'accept'; session: string; pcm: Uint8Array }
  | { id: number; op: 'end'; session: string }
  | { id: number; op: 'close'; session: string };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** What each decoder thread is told at start: the streaming model setting (null: pocketsphinx). */
export interface DecoderWorkerData {
  streamingModel: string | null;
  dataDir: string;
}

export interface DecoderReply {
  id: number;
  /** On `open`: the model the thread decodes with. */
  model?: string;
  hypothesis?: StreamingHypothesis;
  words?: EngineWord[];
  /** On `end`, when asked for: the voice embedding of the utterance's words, null when they span under a second. */
  embedding?: Float32Array | null;
  /** On `end`, when asked for: the most probable language of the utterance's words, null when they span under a second. */
  language?: LanguageScore | null;
  error?: string;
}

/** An ended utterance: its words, and its voice embedding and language when the decoder was opened for them. */
export interface EndedUtterance {
  words: EngineWord[];
  embedding: Float32Array | null;
  language: LanguageScore | null;
}

interface Thread {
  worker: Worker;
  sessions: number;
  model?: string;
  pending: Map<number, { resolve: (r: DecoderReply) => void; reject: (e: Error) => void }>;
}

/** A session's decoder, living in one of the pool's threads. Calls are answered in order. */
export interface RemoteDecoder {
  accept(pcm: Buffer): Promise<StreamingHypothesis>;
  endUtterance(): Promise<EndedUtterance>;
  close(): Promise<void>;
}

/**
 * Worker threads hosting live sessions' decoders, started on the first sessions (a decoder holds
 * about 100 MB of model; an idle server should not). `Begin` does not wait for them. A session stays on one thread (decoders are
 * stateful); new sessions go to the thread with the fewest.
 */
export class DecoderPool {
  private readonly threads: Thread[] = [];
  private nextId = 1;

  constructor(
    private readonly size: number,
    private readonly log: Logger,
    private readonly workerData: DecoderWorkerData = { streamingModel: null, dataDir: '' },
  ) {}

  private spawn(): Thread {
    const worker = new Worker(new URL('./decoder-worker.js', import.meta.url), { workerData: this.workerData });
    const thread: Thread = { worker, sessions: 0, pending: new Map() };
    worker.on('message', (reply: DecoderReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (reply.error) p.reject(new Error(reply.error));
      else p.resolve(reply);
    });
    worker.on('error', (err) => this.log.error({ err }, 'streaming decoder thread crashed'));
    worker.on('exit', (code) => {
      this.threads.splice(this.threads.indexOf(thread), 1);
      for (const p of thread.pending.values()) p.reject(new Error(`decoder thread exited with code ${code}`));
      thread.pending.clear();
    });
    this.threads.push(thread);
    return thread;
  }

  private call(thread: Thread, msg: WithoutId<DecoderRequest>, transfer?: ArrayBuffer[]): Promise<DecoderReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ ...msg, id }, transfer ?? []);
    });
  }

  async open(options: { embeddingModel?: string | null; languageIdModel?: LanguageIdModel | null } = {}): Promise<RemoteDecoder> {
    const thread = this.threads.length < this.size ? this.spawn() : this.threads.reduce((a, b) => (b.sessions < a.sessions ? b : a));
    const session = randomUUID();
    thread.sessions++;
    let closed = false;
    try {
      const { model } = await this.call(thread, {
        op: 'open',
        session,
        embeddingModel: options.embeddingModel ?? null,
        languageIdModel: options.languageIdModel ?? null,
      });
      if (model !== thread.model) {
        thread.model = model;
        this.log.info({ model, requested: this.workerData.streamingModel }, 'streaming decoder loaded');
      }
    } catch (err) {
      thread.sessions--;
      throw err;
    }
    return {
      accept: async (pcm) => {
        // Copy into a fresh buffer we can hand over without cloning.
        const copy = new Uint8Array(pcm);
        return (await this.call(thread, { op: 'accept', session, pcm: copy }, [copy.buffer])).hypothesis!;
      },
      endUtterance: async () => {
        const { words, embedding, language } = await this.call(thread, { op: 'end', session });
        return { words: words!, embedding: embedding ?? null, language: language ?? null };
      },
      close: async () => {
        if (closed) return;
        closed = true;
        thread.sessions--;
        await this.call(thread, { op: 'close', session }).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
