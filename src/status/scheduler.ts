import type { Queryable } from '../db/index.js';
import type { Logger } from '../log.js';
import { within } from './deadline.js';
import { claimRound } from './store/meta.js';

/**
 * Timers, not the job queue: rounds must run while the database is down (that is an outage to
 * report), and tests want intervals of a second, below pg-boss's one-minute cron. Every node keeps
 * the timers; a claim in the database picks the node that runs each round. Unreachable database:
 * every node probes for itself, as nothing else can tell.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly db: Queryable,
    private readonly log: Logger,
  ) {}

  /** Runs `round` every `seconds` on the node that claims it; the others run `follow` (reload what it wrote). */
  every(name: string, seconds: number, round: () => Promise<void>, follow: () => Promise<void>): void {
    const tick = async () => {
      if (this.stopped) return;
      let mine: boolean;
      try {
        mine = await within(3_000, claimRound(this.db, name, seconds), 'round claim');
      } catch {
        mine = true;
      }
      try {
        await (mine ? round() : follow());
      } catch (err) {
        this.log.error({ err, round: name }, 'status: round failed');
      }
    };
    const schedule = (ms: number) => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const run = tick().finally(() => {
          this.running.delete(run);
          schedule(seconds * 1000);
        });
        this.running.add(run);
      }, ms);
      this.timers.add(timer);
    };
    // The first round waits a whole interval: a process that just started has nothing to report
    // yet, and the last round's results are in the database.
    schedule(seconds * 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
