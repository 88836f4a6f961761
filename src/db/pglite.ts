import { Worker } from 'node:worker_threads';

/** What the main thread asks the embedded database's thread (src/db/pglite-thread.ts). */
export type PgliteRequest = { id: number } & (
  | { op: 'query'; sql: string; params?: unknown[]; tx?: number }
  | { op: 'exec'; sql: string }
  | { op: 'begin' }
  | { op: 'commit'; tx: number }
  | { op: 'rollback'; tx: number }
  | { op: 'close' }
);
export type PgliteReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: Record<string, unknown> & { name: string; message: string } };
export interface PgliteThreadData {
  dir: string;
}

type Ask = { [K in PgliteRequest['op']]: Omit<Extract<PgliteRequest, { op: K }>, 'id'> }[PgliteRequest['op']];

/** The thread ended or was closed: every call fails with this, which the Db layer reports as the database being away. */
export const THREAD_GONE = 'the embedded database thread is not running';

/**
 * The embedded database on its own thread. Under the test runner this module is TypeScript, which a worker
 * thread cannot load: it runs the built thread script from dist/ instead (the tests build first).
 */
function threadScript(): URL {
  const url = new URL('./pglite-thread.js', import.meta.url);
  return import.meta.url.endsWith('.ts') ? new URL(url.href.replace('/src/db/', '/dist/db/')) : url;
}

export interface PgliteThread {
  ask<T>(req: Ask): Promise<T>;
  close(): Promise<void>;
}

export async function startPgliteThread(dir: string): Promise<PgliteThread> {
  const worker = new Worker(threadScript(), { workerData: { dir } satisfies PgliteThreadData });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let gone: Error | null = null;
  // Held open only while a call waits: an idle database must not keep a finished CLI command running.
  const settle = () => {
    if (pending.size === 0) worker.unref();
  };
  const revive = (error: PgliteReply & { ok: false }) => Object.assign(new Error(error.error.message), error.error);
  const ready = new Promise<void>((resolve, reject) => pending.set(0, { resolve: () => resolve(), reject }));
  worker.on('message', (msg: PgliteReply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(revive(msg));
    settle();
  });
  const fail = (err: Error) => {
    gone = Object.assign(new Error(`${THREAD_GONE}: ${err.message}`), { cause: err });
    for (const p of pending.values()) p.reject(gone);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`it exited with code ${code}`)));
  await ready;
  settle();

  const ask = <T>(req: Ask): Promise<T> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    worker.ref();
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id } as PgliteRequest);
    });
  };
  return {
    ask,
    async close() {
      if (gone) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      await ask({ op: 'close' });
      // The thread ends once its port is closed; a stuck one is ended after a grace.
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
