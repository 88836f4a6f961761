import type { Queryable } from '../db/index.js';
import type { Logger } from '../log.js';
import { within } from './deadline.js';

/** A write (or the check that follows a failed one) taking longer than this counts as the database being away. */
const WAIT_MS = 5_000;

type Write = (db: Queryable) => Promise<void>;

/**
 * The status page must keep working while the database is down (that is when people look at it),
 * so its writes go through here: in order, and kept in memory while the database is unreachable,
 * then replayed. A write that fails while the database answers is a bug, not an outage: it is
 * logged and dropped so it cannot block the rest.
 */
export class WriteBuffer {
  private readonly pending: { what: string; write: Write }[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
    /** Oldest writes are dropped beyond this (a long outage must not eat the memory). */
    private readonly max = 50_000,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  /** Queues a write and tries to run everything queued. Never throws. */
  write(what: string, write: Write): Promise<void> {
    this.pending.push({ what, write });
    if (this.pending.length > this.max) {
      const dropped = this.pending.splice(0, this.pending.length - this.max);
      this.log.warn({ dropped: dropped.length }, 'status: database unreachable for long; oldest status writes dropped');
    }
    return this.flush();
  }

  /** Runs queued writes in order until one fails on an unreachable database. */
  flush(): Promise<void> {
    this.chain = this.chain.then(async () => {
      while (this.pending.length > 0) {
        const next = this.pending[0]!;
        try {
          await within(WAIT_MS, next.write(this.db), next.what);
        } catch (err) {
          if (!(await this.reachable())) return;
          this.log.error({ err, what: next.what }, 'status: write failed; dropped');
        }
        this.pending.shift();
      }
    });
    return this.chain;
  }

  private async reachable(): Promise<boolean> {
    try {
      await within(WAIT_MS, this.db.query('select 1'), 'database check');
      return true;
    } catch {
      return false;
    }
  }
}
