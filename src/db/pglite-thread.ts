import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pgliteModule } from './pglite-module.js';
import type { PgliteReply, PgliteRequest, PgliteThreadData } from './pglite.js';

/**
 * The embedded database's own thread. PGlite runs PostgreSQL synchronously inside WebAssembly, so on the
 * main thread every query stalled every request (50 connections listing pushed /health to seconds); here
 * it stalls only the queries behind it.
 */
const port = parentPort!;
const { dir } = workerData as PgliteThreadData;

/** A transaction held open between the main thread's statements: `end` commits or rolls it back. */
interface OpenTransaction {
  tx: Transaction;
  end: (commit: boolean) => void;
  done: Promise<void>;
}
const ROLLBACK = Symbol('rollback');
const open = new Map<number, OpenTransaction>();
let nextTx = 1;

/** A PostgreSQL error's fields (code, detail, constraint…) survive the trip; a plain clone would keep the message only. */
function serialise(err: unknown): PgliteReply & { ok: false } {
  const e = err instanceof Error ? err : new Error(String(err));
  return { id: 0, ok: false, error: { ...Object.fromEntries(Object.entries(e)), name: e.name, message: e.message, stack: e.stack } };
}

function begin(db: PGlite): Promise<number> {
  const id = nextTx++;
  return new Promise((started, failedToStart) => {
    let began = false;
    const done = db.transaction(
      (tx) =>
        new Promise<void>((commit, rollback) => {
          began = true;
          open.set(id, { tx, end: (ok) => (ok ? commit() : rollback(ROLLBACK)), done });
          started(id);
        }),
    );
    // Once begun, settled by `end` and read by commit/rollback; a transaction that never began fails `begin`.
    done.catch((err: unknown) => {
      if (!began) failedToStart(err);
    });
  });
}

async function finish(id: number, commit: boolean): Promise<void> {
  const t = open.get(id);
  if (!t) throw new Error(`no open transaction ${id}`);
  open.delete(id);
  t.end(commit);
  await t.done.catch((err: unknown) => {
    if (err !== ROLLBACK) throw err;
  });
}

async function handle(db: PGlite, msg: PgliteRequest): Promise<unknown> {
  const on = (tx?: number) => (tx === undefined ? db : open.get(tx)?.tx);
  switch (msg.op) {
    case 'query': {
      const target = on(msg.tx);
      if (!target) throw new Error(`no open transaction ${msg.tx}`);
      return target.query(msg.sql, msg.params);
    }
    case 'exec':
      return db.exec(msg.sql);
    case 'begin':
      return begin(db);
    case 'commit':
      return finish(msg.tx, true);
    case 'rollback':
      return finish(msg.tx, false);
    case 'close':
      await db.close();
      return undefined;
  }
}

try {
  const db = await PGlite.create(dir, { wasmModule: (await pgliteModule()).module });
  port.on('message', (msg: PgliteRequest) => {
    handle(db, msg).then(
      (value) => {
        port.postMessage({ id: msg.id, ok: true, value } satisfies PgliteReply);
        // Closed: the thread ends once nothing holds its port open.
        if (msg.op === 'close') port.close();
      },
      (err: unknown) => port.postMessage({ ...serialise(err), id: msg.id } satisfies PgliteReply),
    );
  });
  port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies PgliteReply);
} catch (err) {
  port.postMessage(serialise(err));
}
