import type { Queryable } from '../db/index.js';
import type { Logger } from '../log.js';
import { within } from './deadline.js';
import { claimRound, roundIsRecent } from './store/meta.js';

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

  /**
   * Runs `round` every `seconds` on the node that claims it; the others run `follow` (reload what it wrote).
   * The first round comes after `firstSeconds` when no node has run one within the last interval
   * (a fresh install, or a fleet that was down), else after a whole interval.
   */
  every(name: string, seconds: number, firstSeconds: number, round: () => Promise<void>, follow: () => Promise<void>): void {
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
    // With a recent round in the database there is something to show already; without one, a page
    // of "Not checked yet" should not last a whole interval. An unreachable database: soon, too.
    void within(3_000, roundIsRecent(this.db, name), 'round check')
      .catch(() => false)
      .then((recent) => schedule((recent ? seconds : Math.min(seconds, firstSeconds)) * 1000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
