import type { AppContext } from '../context.js';
import { safePostJson } from '../net/fetch.js';
import type { QueueJob, WebhookJob } from '../queue/index.js';
import { getTranscript, recordWebhookDelivery, setWebhookStatus } from '../storage/transcripts.js';

export class WebhookRetry extends Error {
  override name = 'WebhookRetry';
}

/**
 * Delivers `{"transcript_id", "status"}` to the transcript's webhook, as upstream does: 2xx is done,
 * 4xx is final, anything else (5xx, timeout, network error) is retried by the queue
 * (EARSHOT_WEBHOOK_MAX_ATTEMPTS in all, EARSHOT_WEBHOOK_RETRY_SECONDS apart). Every attempt is logged.
 */
export async function deliverWebhook(ctx: AppContext, job: QueueJob<WebhookJob>): Promise<void> {
  const row = await getTranscript(ctx.db, job.data.transcriptId);
  if (!row || row.deleted_at || !row.params.webhook_url) return;
  const p = row.params;
  const url = p.webhook_url!;
  const attempt = job.retryCount + 1;
  const headers: Record<string, string> = { 'user-agent': 'Earshot-Webhook/1.0' };
  if (p.webhook_auth_header_name && p.webhook_auth_header_value) headers[p.webhook_auth_header_name] = p.webhook_auth_header_value;

  let status: number | null = null;
  let error: string | null = null;
  const started = Date.now();
  try {
    const res = await safePostJson(url, { transcript_id: row.id, status: row.status }, headers, {
      publicMode: ctx.config.publicMode,
      timeoutMs: ctx.config.webhookTimeoutMs,
    });
    status = res.status;
  } catch (err) {
    error = (err as Error).message;
  }
  const durationMs = Date.now() - started;
  await recordWebhookDelivery(ctx.db, row.id, { attempt, url, status_code: status, error, duration_ms: durationMs });
  if (status !== null) {
    await setWebhookStatus(ctx.db, row.id, status);
    ctx.transcripts.invalidate(row.id);
  }
  const log = ctx.log.child({ transcript: row.id, attempt });
  const final = status !== null && ((status >= 200 && status < 300) || (status >= 400 && status < 500));
  if (final) {
    log.info({ status, ms: durationMs }, status! < 300 ? 'webhook delivered' : 'webhook refused (4xx, not retried)');
    return;
  }
  log.warn({ status, error, ms: durationMs }, 'webhook attempt failed');
  throw new WebhookRetry(error ?? `webhook answered ${status}`);
}
