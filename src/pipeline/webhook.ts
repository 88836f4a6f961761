import type { AppContext } from '../context.js';
import { safePostJson } from '../net/fetch.js';
import type { QueueJob, WebhookJob } from '../queue/index.js';
import { getTranscript, recordWebhookDelivery, setWebhookStatus } from '../storage/transcripts.js';
import { redactedAudioResponse, serverBaseUrl } from '../transcript/redacted-audio.js';

export class WebhookRetry extends Error {
  override name = 'WebhookRetry';
}

interface Attempt {
  status: number | null;
  error: string | null;
  durationMs: number;
  /** The start of the receiver's reply body. */
  excerpt: string | null;
}

async function post(ctx: AppContext, url: string, body: unknown, headers: Record<string, string>): Promise<Attempt> {
  const started = Date.now();
  try {
    const res = await safePostJson(
      url,
      body,
      { 'user-agent': 'Earshot-Webhook/1.0', ...headers },
      {
        publicMode: ctx.config.publicMode,
        timeoutMs: ctx.config.webhookTimeoutMs,
      },
    );
    return { status: res.status, error: null, durationMs: Date.now() - started, excerpt: res.excerpt };
  } catch (err) {
    return { status: null, error: (err as Error).message, durationMs: Date.now() - started, excerpt: null };
  }
}

/**
 * Upstream's rules for every webhook: 2xx is done, 4xx is final, anything else (5xx, timeout,
 * network error) is retried by the queue (EARSHOT_WEBHOOK_MAX_ATTEMPTS in all,
 * EARSHOT_WEBHOOK_RETRY_SECONDS apart).
 */
function settle(ctx: AppContext, job: QueueJob<WebhookJob>, a: Attempt, subject: Record<string, string>): void {
  const log = ctx.log.child({ ...subject, attempt: job.retryCount + 1 });
  const final = a.status !== null && ((a.status >= 200 && a.status < 300) || (a.status >= 400 && a.status < 500));
  if (final) {
    log.info({ status: a.status, ms: a.durationMs }, a.status! < 300 ? 'webhook delivered' : 'webhook refused (4xx, not retried)');
    return;
  }
  log.warn({ status: a.status, error: a.error, ms: a.durationMs }, 'webhook attempt failed');
  throw new WebhookRetry(a.error ?? `webhook answered ${a.status}`);
}

/** Delivers a transcript's `{"transcript_id", "status"}` or a streaming session's messages; every transcript attempt is logged. */
export async function deliverWebhook(ctx: AppContext, job: QueueJob<WebhookJob>): Promise<void> {
  const data = job.data;
  if ('sessionId' in data) {
    const attempt = await post(ctx, data.url, data.body, data.headers);
    return settle(ctx, job, attempt, { session: data.sessionId });
  }
  const row = await getTranscript(ctx.db, data.transcriptId);
  if (!row || row.deleted_at || !row.params.webhook_url) return;
  const p = row.params;
  const url = p.webhook_url!;
  const headers: Record<string, string> = {};
  if (p.webhook_auth_header_name != null && p.webhook_auth_header_value != null)
    headers[p.webhook_auth_header_name] = p.webhook_auth_header_value;
  // The redacted audio's notice is upstream's RedactedAudioNotification; only the transcript's sets webhook_status_code.
  const body = data.redactedAudio ? redactedAudioResponse(serverBaseUrl(ctx.config), row) : { transcript_id: row.id, status: row.status };
  if (body === null) return;
  const attempt = await post(ctx, url, body, headers);
  await recordWebhookDelivery(ctx.db, row.id, {
    attempt: job.retryCount + 1,
    url,
    status_code: attempt.status,
    error: attempt.error,
    duration_ms: attempt.durationMs,
    response_excerpt: attempt.excerpt,
  });
  if (attempt.status !== null && !data.redactedAudio) {
    await setWebhookStatus(ctx.db, row.id, attempt.status);
    ctx.transcripts.invalidate(row.id);
  }
  settle(ctx, job, attempt, { transcript: row.id });
}
