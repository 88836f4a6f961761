import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EngineChoice } from '../engines/choice.js';
import type { LanguageScore } from '../engines/language-id.js';
import type { Logger } from '../log.js';
import type { EngineTask, EngineTaskResult, FromWorker, LanguageIdTask, ToWorker } from './engine-task.js';

/** A failure caused by the input audio; its message is upstream's text for the transcript's `error`. */
export class AudioTaskError extends Error {
  override name = 'AudioTaskError';
}

/** How long a closing thread may take to finish what it is doing before it is terminated. */
const CLOSE_GRACE_MS = 5_000;

interface Slot {
  worker: Worker;
  busy: boolean;
}

type RunOptions = { signal?: AbortSignal; onProgress?: (audioMs: number) => void };

interface Pending {
  resolve: (r: EngineTaskResult | LanguageScore[]) => void;
  reject: (e: Error) => void;
  onProgress?: (audioMs: number) => void;
  slot: Slot;
}

/**
 * A fixed set of worker threads, one per concurrent job, each with its own engine instance.
 * Threads start lazily and are replaced if one dies. A task waits (first come, first served)
 * while every thread is busy.
 */
export class EnginePool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: (() => void)[] = [];
  private nextTaskId = 1;

  constructor(
    private readonly engine: EngineChoice,
    private readonly size: number,
    private readonly log: Logger,
  ) {}

  private spawn(): Slot {
    const worker = new Worker(new URL('./engine-worker.js', import.meta.url));
    const slot: Slot = { worker, busy: false };
    // Whisper may use several threads per job; split the cores between concurrent jobs.
    const threads = Math.max(1, Math.floor(os.availableParallelism() / this.size));
    worker.postMessage({ type: 'init', engine: this.engine, threads } satisfies ToWorker);
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.log.error({ err }, 'engine worker crashed'));
    worker.on('exit', (code) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(new Error(`engine worker exited with code ${code}`));
      }
      this.waiting.shift()?.();
    });
    this.slots.push(slot);
    return slot;
  }

  private onMessage(msg: FromWorker): void {
    const p = this.pending.get(msg.taskId);
    if (!p) return;
    if (msg.type === 'progress') {
      p.onProgress?.(msg.audioMs);
      return;
    }
    this.pending.delete(msg.taskId);
    p.slot.busy = false;
    this.waiting.shift()?.();
    if (msg.type === 'done') p.resolve(msg.result);
    else {
      const err: NodeJS.ErrnoException = msg.audio ? new AudioTaskError(msg.message) : new Error(msg.message);
      if (msg.stack && !msg.audio) err.stack = msg.stack;
      if (msg.code) err.code = msg.code;
      p.reject(err);
    }
  }

  private freeSlot(): Slot | null {
    return this.slots.find((s) => !s.busy) ?? (this.slots.length < this.size ? this.spawn() : null);
  }

  /** Waits for a free thread, then transcribes `task` on it. An abort rejects at once; the thread is free again once its engine has stopped. */
  run(task: EngineTask, opts: RunOptions = {}): Promise<EngineTaskResult> {
    return this.dispatch((taskId) => ({ type: 'run', taskId, task }), opts) as Promise<EngineTaskResult>;
  }

  /** Every language's probability for the task's audio (`language_detection`), on a free thread as `run`. */
  identifyLanguage(task: LanguageIdTask, opts: RunOptions = {}): Promise<LanguageScore[]> {
    return this.dispatch((taskId) => ({ type: 'identify', taskId, task }), opts) as Promise<LanguageScore[]>;
  }

  private async dispatch(message: (taskId: number) => ToWorker, opts: RunOptions): Promise<EngineTaskResult | LanguageScore[]> {
    const { signal } = opts;
    signal?.throwIfAborted();
    // Behind the tasks already waiting; a woken task that lost its thread to a newcomer stays first in line.
    let slot = this.waiting.length === 0 ? this.freeSlot() : null;
    for (let woken = false; !slot; woken = true) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal!.reason as Error);
        };
        if (woken) this.waiting.unshift(wake);
        else this.waiting.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      slot = this.freeSlot();
    }
    slot.busy = true;
    const taskId = this.nextTaskId++;
    const running = slot;
    return new Promise((resolve, reject) => {
      this.pending.set(taskId, { resolve, reject, onProgress: opts.onProgress, slot: running });
      signal?.addEventListener(
        'abort',
        () => {
          running.worker.postMessage({ type: 'abort', taskId } satisfies ToWorker);
          reject(signal.reason as Error);
        },
        { once: true },
      );
      running.worker.postMessage(message(taskId));
    });
  }

  /** Asks each thread to end, and terminates one still busy after CLOSE_GRACE_MS (a native run cannot be interrupted). */
  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(async ({ worker }) => {
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        worker.postMessage({ type: 'close' } satisfies ToWorker);
        const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
