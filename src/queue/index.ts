import PgBoss from 'pg-boss';
import type { Config } from '../config.js';
import type { Db, Queryable } from '../db/index.js';
import type { Logger } from '../log.js';

export const QUEUES = {
  /** Transcriptions whose audio is on disk (uploads). */
  transcribe: 'transcribe',
  /** Transcriptions that first download their `audio_url`: workers of their own, so a hanging URL never holds an engine slot. */
  transcribeUrl: 'transcribe-url',
  webhook: 'webhook',
  maintenance: 'maintenance',
} as const;

export interface TranscribeJob {
  transcriptId: string;
}

/** A transcript's completion notice (or its redacted audio's), or a streaming session's messages (sent once the session ends). */
export type WebhookJob =
  | { transcriptId: string; redactedAudio?: true }
  | { sessionId: string; url: string; headers: Record<string, string>; body: unknown };

export interface QueueJob<T> {
  id: string;
  data: T;
  retryCount: number;
}

/**
 * pg-boss on Earshot's own database (PGlite or PostgreSQL): jobs are rows, so they survive
 * `kill -9` and any node of a fleet can pick them up.
 */
export class Queue {
  private constructor(
    private readonly boss: PgBoss,
    private readonly config: Config,
  ) {}

  static async start(db: Db, config: Config, log: Logger): Promise<Queue> {
    const boss = new PgBoss({
      db: { executeSql: (text: string, values?: unknown[]) => db.executeSql(text, values) as Promise<{ rows: never[] }> },
      schema: 'pgboss',
      // Completed jobs are kept briefly: the transcripts table is the record users see.
      archiveCompletedAfterSeconds: 3600,
      deleteAfterDays: 7,
      monitorStateIntervalSeconds: 60,
    });
    boss.on('error', (err: Error) => log.error({ err }, 'queue error'));
    await boss.start();
    // Never retried by pg-boss: the transcripts table counts attempts, and a lost or handed-back job is
    // re-queued as a new job (src/pipeline/maintenance.ts, src/pipeline/transcribe.ts).
    for (const name of [QUEUES.transcribe, QUEUES.transcribeUrl])
      await ensureQueue(boss, name, { retryLimit: 0, expireInSeconds: 12 * 3600 });
    await ensureQueue(boss, QUEUES.webhook, {
      retryLimit: Math.max(0, config.webhookMaxAttempts - 1),
      retryDelay: Math.max(0, Math.round(config.webhookRetrySeconds)),
    });
    await ensureQueue(boss, QUEUES.maintenance, { retryLimit: 0 });
    return new Queue(boss, config);
  }

  /**
   * Queues a transcription on the queue its audio needs (`fromUrl`: a download first). With `db`, the job
   * is sent inside that transaction, so it exists exactly when the transaction's other changes do.
   */
  async enqueueTranscription(
    transcriptId: string,
    opts: { fromUrl: boolean; id?: string; priority?: number; db?: Queryable },
  ): Promise<string> {
    const queue = opts.fromUrl ? QUEUES.transcribeUrl : QUEUES.transcribe;
    const id = await this.boss.send(queue, { transcriptId } satisfies TranscribeJob, {
      id: opts.id,
      ...(opts.priority !== undefined && { priority: opts.priority }),
      db: bossDb(opts.db),
    });
    if (!id) throw new Error('queue refused the transcription job');
    return id;
  }

  async enqueueWebhook(job: WebhookJob, db?: Queryable): Promise<void> {
    await this.boss.send(QUEUES.webhook, job, {
      retryLimit: Math.max(0, this.config.webhookMaxAttempts - 1),
      retryDelay: Math.max(0, Math.round(this.config.webhookRetrySeconds)),
      retryBackoff: false,
      db: bossDb(db),
    });
  }

  /** Puts a job on `queue` on a cron schedule (one per fleet: pg-boss keeps the schedule in the database). */
  async every(queue: string, cron: string): Promise<void> {
    await this.boss.schedule(queue, cron);
  }

  /** Runs `handler` on up to `concurrency` jobs of `queue` at once. A thrown error makes pg-boss retry the job. */
  async work<T extends object>(queue: string, concurrency: number, handler: (job: QueueJob<T>) => Promise<void>): Promise<void> {
    for (let i = 0; i < concurrency; i++) {
      await this.boss.work<T>(
        queue,
        { batchSize: 1, pollingIntervalSeconds: this.config.queuePollSeconds, includeMetadata: true },
        async (jobs) => {
          for (const job of jobs) await handler({ id: job.id, data: job.data, retryCount: job.retryCount });
        },
      );
    }
  }

  /** Transcription jobs waiting, on both transcription queues. */
  async transcriptionDepth(): Promise<number> {
    const sizes = await Promise.all([QUEUES.transcribe, QUEUES.transcribeUrl].map((q) => this.boss.getQueueSize(q)));
    return sizes.reduce((a, b) => a + b, 0);
  }

  /** Stops fetching; waits up to `timeoutMs` for running jobs, then hands unfinished ones back to the queue. */
  async stop(timeoutMs: number): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: timeoutMs, close: false });
  }
}

/** A transaction as pg-boss's `db` option (undefined: pg-boss's own connection). */
const bossDb = (db: Queryable | undefined): PgBoss.Db | undefined =>
  db && { executeSql: (text: string, values?: unknown[]) => db.query(text, values) as Promise<{ rows: never[] }> };

async function ensureQueue(boss: PgBoss, name: string, options: Omit<PgBoss.Queue, 'name'>): Promise<void> {
  const queue = { name, ...options };
  if (await boss.getQueue(name)) await boss.updateQueue(name, queue);
  else await boss.createQueue(name, queue);
}
