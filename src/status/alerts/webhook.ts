import { createHmac } from 'node:crypto';
import { safePostJson } from '../../net/fetch.js';

/**
 * `X-Earshot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the subscription's
 * secret: the receiver recomputes it over the raw body, and rejects old timestamps to stop replays.
 */
export function signature(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export async function postWebhook(
  url: string,
  secret: string,
  event: string,
  body: object,
  opts: { publicMode: boolean; timeoutMs: number },
): Promise<void> {
  // safePostJson sends JSON.stringify(body): the same bytes that are signed here.
  const headers = {
    'user-agent': 'Earshot-Status/1.0',
    'x-earshot-event': event,
    'x-earshot-signature': signature(secret, JSON.stringify(body)),
  };
  const res = await safePostJson(url, body, headers, opts);
  if (res.status < 200 || res.status >= 300) throw new Error(`the receiver answered ${res.status}`);
}
