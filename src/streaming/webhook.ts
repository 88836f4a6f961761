import type { AppContext } from '../context.js';
import type { SessionParams } from './protocol.js';

/** Streaming webhooks: `{session_id, messages}` POSTed once the session ends, with the async webhooks' retry rules. */
export async function deliverSessionWebhook(ctx: AppContext, sessionId: string, params: SessionParams, messages: object[]): Promise<void> {
  if (!params.webhookUrl) return;
  const headers = params.webhookAuth ? { [params.webhookAuth.name]: params.webhookAuth.value } : {};
  try {
    await ctx.queue.enqueueWebhook({ sessionId, url: params.webhookUrl, headers, body: { session_id: sessionId, messages } });
  } catch (err) {
    ctx.log.error({ err, session: sessionId }, 'could not queue the streaming webhook');
  }
}
