import type { Queryable } from '../db/index.js';
import type { TranscriptParams } from '../transcript/params.js';
import type { TranscriptResult, TranscriptRow, TranscriptStatus } from '../transcript/types.js';

const COLUMNS = `id, project_id, status, audio_url, upload_id, params, result, error, webhook_status_code,
  created_at, completed_at, deleted_at, attempt`;

export async function insertTranscript(
  db: Queryable,
  t: { id: string; projectId: string; params: TranscriptParams; uploadId: string | null },
): Promise<TranscriptRow> {
  const { rows } = await db.query<TranscriptRow>(
    `insert into transcripts (id, project_id, status, audio_url, upload_id, params)
     values ($1, $2, 'queued', $3, $4, $5) returning ${COLUMNS}`,
    [t.id, t.projectId, t.params.audio_url, t.uploadId, JSON.stringify(t.params)],
  );
  return rows[0]!;
}

export async function getTranscript(db: Queryable, id: string, projectId?: string): Promise<TranscriptRow | null> {
  const { rows } = projectId
    ? await db.query<TranscriptRow>(`select ${COLUMNS} from transcripts where id = $1 and project_id = $2`, [id, projectId])
    : await db.query<TranscriptRow>(`select ${COLUMNS} from transcripts where id = $1`, [id]);
  return rows[0] ?? null;
}

export interface ListQuery {
  limit: number;
  status?: TranscriptStatus;
  createdOn?: string;
  beforeId?: string;
  afterId?: string;
}

export type ListRow = Pick<TranscriptRow, 'id' | 'status' | 'created_at' | 'completed_at' | 'audio_url' | 'error' | 'deleted_at'>;
/** A list item's columns only: reading `result` too made a page of 200 parse 200 whole transcripts. */
const LIST_COLUMNS = 'id, status, created_at, completed_at, audio_url, error, deleted_at';

/**
 * Newest first. `before_id` pages to older transcripts, `after_id` to newer ones, both by
 * (created_at, id) so that transcripts created in the same microsecond still page correctly.
 * Also says whether older and newer rows exist beyond this page, to fill prev_url/next_url.
 */
export async function listTranscripts(
  db: Queryable,
  projectId: string,
  q: ListQuery,
): Promise<{ rows: ListRow[]; hasOlder: boolean; hasNewer: boolean }> {
  const where = ['project_id = $1'];
  const params: unknown[] = [projectId];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (q.status) add('status = ?', q.status);
  if (q.createdOn) add("(created_at at time zone 'UTC')::date = ?::date", q.createdOn);
  const filters = where.join(' and ');
  // The cursor id is always the last parameter, so the same filter text serves every query below.
  const withCursor = (id: string) => [...params, id];
  const cursor = `(select created_at from transcripts where id = $${params.length + 1}::uuid), $${params.length + 1}::uuid`;

  let sql: string;
  if (q.afterId) {
    sql = `select * from (select ${LIST_COLUMNS} from transcripts where ${filters} and (created_at, id) > (${cursor})
             order by created_at asc, id asc limit ${q.limit + 1}) t order by created_at desc, id desc`;
  } else if (q.beforeId) {
    sql = `select ${LIST_COLUMNS} from transcripts where ${filters} and (created_at, id) < (${cursor})
             order by created_at desc, id desc limit ${q.limit + 1}`;
  } else {
    sql = `select ${LIST_COLUMNS} from transcripts where ${filters} order by created_at desc, id desc limit ${q.limit + 1}`;
  }
  const cursorId = q.afterId ?? q.beforeId;
  const { rows } = await db.query<ListRow>(sql, cursorId ? withCursor(cursorId) : params);
  const more = rows.length > q.limit;
  // The extra row sits at the far end of the direction we paged in.
  const page = q.afterId ? (more ? rows.slice(1) : rows) : rows.slice(0, q.limit);
  let hasOlder = q.afterId ? true : more;
  let hasNewer = q.afterId ? more : Boolean(q.beforeId);
  if (page.length > 0) {
    const exists = async (op: '<' | '>', id: string) => {
      const r = await db.query(`select 1 from transcripts where ${filters} and (created_at, id) ${op} (${cursor}) limit 1`, withCursor(id));
      return r.rows.length > 0;
    };
    if (q.afterId) hasOlder = await exists('<', page[page.length - 1]!.id);
    if (q.beforeId) hasNewer = await exists('>', page[0]!.id);
  } else {
    hasOlder = false;
    hasNewer = false;
  }
  return { rows: page, hasOlder, hasNewer };
}

/**
 * Claims a queued transcript for a new attempt. Only the queue job the transcript names may claim it
 * (one handed back or re-queued is superseded by a new job). Returns the attempt number, or null if it
 * is finished, deleted, running or owned by another job.
 */
export async function startAttempt(db: Queryable, id: string, jobId: string, leaseSeconds: number): Promise<number | null> {
  const { rows } = await db.query<{ attempt: number }>(
    `update transcripts set status = 'processing', attempt = attempt + 1, job_id = $3,
            lease_expires_at = now() + make_interval(secs => $2)
      where id = $1 and status = 'queued' and deleted_at is null and (job_id is null or job_id = $3)
      returning attempt`,
    [id, leaseSeconds, jobId],
  );
  return rows[0]?.attempt ?? null;
}

/** Extends the attempt's lease. False: the attempt no longer owns the job (deleted, superseded, finished). */
export async function renewLease(db: Queryable, id: string, attempt: number, leaseSeconds: number): Promise<boolean> {
  const { rows } = await db.query(
    `update transcripts set lease_expires_at = now() + make_interval(secs => $3)
      where id = $1 and attempt = $2 and status = 'processing' and deleted_at is null returning id`,
    [id, attempt, leaseSeconds],
  );
  return rows.length > 0;
}

/** Finishes an attempt. Only the attempt that owns the lease can finish it, so a job never completes twice. */
export async function finishAttempt(
  db: Queryable,
  id: string,
  attempt: number,
  outcome: { result: TranscriptResult } | { error: string },
): Promise<boolean> {
  const ok = 'result' in outcome;
  const { rows } = await db.query(
    `update transcripts set status = $3, result = $4, error = $5, completed_at = now(), lease_expires_at = null
      where id = $1 and attempt = $2 and status = 'processing' and deleted_at is null returning id`,
    [id, attempt, ok ? 'completed' : 'error', ok ? JSON.stringify(outcome.result) : null, ok ? null : outcome.error],
  );
  return rows.length > 0;
}

/** Hands a running attempt back to the queue under job `jobId` (graceful shutdown): not counted as a lost worker. */
export async function releaseAttempt(db: Queryable, id: string, attempt: number, jobId: string): Promise<boolean> {
  const { rows } = await db.query(
    `update transcripts set status = 'queued', lease_expires_at = null, job_id = $3
      where id = $1 and attempt = $2 and status = 'processing' and deleted_at is null returning id`,
    [id, attempt, jobId],
  );
  return rows.length > 0;
}

export interface OrphanRow {
  id: string;
  attempt: number;
  workers_lost: number;
  upload_id: string | null;
  webhook_url: string | null;
}

/** Transcripts whose worker stopped renewing its lease (crashed process or machine). */
export async function orphanedJobs(db: Queryable): Promise<OrphanRow[]> {
  const { rows } = await db.query<OrphanRow>(
    `select id, attempt, workers_lost, upload_id, params->>'webhook_url' as webhook_url from transcripts
      where status = 'processing' and lease_expires_at < now() and deleted_at is null`,
  );
  return rows;
}

/**
 * Records that an orphan's worker was lost: it goes back to the queue under job `jobId`, or, with
 * `error`, ends. Conditional on the lease still being expired, so of several nodes reaping at once
 * only one counts it. False: another node (or the worker itself) got there first.
 */
export async function loseWorker(
  db: Queryable,
  id: string,
  attempt: number,
  next: { jobId: string } | { error: string },
): Promise<boolean> {
  const requeue = 'jobId' in next;
  const { rows } = await db.query(
    `update transcripts set workers_lost = workers_lost + 1, lease_expires_at = null,
            status = $3, job_id = coalesce($4::uuid, job_id), error = $5, completed_at = case when $5::text is null then null else now() end
      where id = $1 and attempt = $2 and status = 'processing' and lease_expires_at < now() and deleted_at is null returning id`,
    [id, attempt, requeue ? 'queued' : 'error', requeue ? next.jobId : null, requeue ? null : next.error],
  );
  return rows.length > 0;
}

/** Whether an attempt still runs somewhere: it owns the transcript and its lease is current. */
export async function attemptAlive(db: Queryable, id: string, attempt: number): Promise<boolean> {
  const { rows } = await db.query(
    `select 1 from transcripts where id = $1 and attempt = $2 and status = 'processing' and lease_expires_at > now()`,
    [id, attempt],
  );
  return rows.length > 0;
}

/** Names the transcript's first queue job (a worker that claimed it first has already done so). */
export async function setJobId(db: Queryable, id: string, jobId: string): Promise<void> {
  await db.query('update transcripts set job_id = $2 where id = $1 and job_id is null', [id, jobId]);
}

/**
 * Scrubs a transcript as upstream does and returns the upload it used, so the caller can delete the file.
 * A queued or running job is cancelled: it ends (`error`), and its worker, wherever it runs, stops when it next renews its lease.
 */
export async function deleteTranscript(db: Queryable, id: string, projectId: string): Promise<TranscriptRow | null> {
  const { rows } = await db.query<TranscriptRow>(
    `update transcripts set deleted_at = coalesce(deleted_at, now()), result = null, file_name = null,
            params = params - 'webhook_auth_header_value', lease_expires_at = null,
            status = case when status in ('queued', 'processing') then 'error' else status end,
            error = case when status in ('queued', 'processing') then 'Transcription cancelled: the transcript was deleted.' else error end
      where id = $1 and project_id = $2 returning ${COLUMNS}`,
    [id, projectId],
  );
  return rows[0] ?? null;
}

export async function setWebhookStatus(db: Queryable, id: string, statusCode: number | null): Promise<void> {
  await db.query('update transcripts set webhook_status_code = $2 where id = $1', [id, statusCode]);
}

export interface WebhookDelivery {
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  /** The start of the receiver's reply body (net/fetch.ts EXCERPT_BYTES). */
  response_excerpt: string | null;
  created_at: Date;
}

export async function recordWebhookDelivery(db: Queryable, transcriptId: string, d: Omit<WebhookDelivery, 'created_at'>): Promise<void> {
  await db.query(
    `insert into webhook_deliveries (transcript_id, attempt, url, status_code, error, duration_ms, response_excerpt)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [transcriptId, d.attempt, d.url, d.status_code, d.error, d.duration_ms, d.response_excerpt],
  );
}

export async function listWebhookDeliveries(db: Queryable, transcriptId: string): Promise<WebhookDelivery[]> {
  const { rows } = await db.query<WebhookDelivery>(
    `select attempt, url, status_code, error, duration_ms, response_excerpt, created_at
       from webhook_deliveries where transcript_id = $1 order by id`,
    [transcriptId],
  );
  return rows;
}
