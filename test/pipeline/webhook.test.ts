import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '../helpers/openapi.js';
import { librivoxClips } from '../helpers/librivox.js';
import { startReceiver } from '../helpers/receiver.js';
import { api, startServer, waitForTranscript, type TestServer } from '../helpers/server.js';

const clip = librivoxClips()[1];

interface Deliveries {
  webhook_status_code: number | null;
  deliveries: { attempt: number; status_code: number | null; error: string | null; url: string }[];
}

describe('webhooks', () => {
  let server: TestServer;
  let uploadUrl: string;
  // /fail-twice answers 500 twice then 200; /gone answers 404; /slow answers too late; others 200.
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver((req, n) => {
      if (req.path === '/fail-twice') return { status: n <= 2 ? 500 : 200 };
      if (req.path === '/gone') return { status: 404 };
      if (req.path === '/slow') return { status: 200, delayMs: 1500 };
      return { status: 200 };
    });
    server = await startServer({
      env: { EARSHOT_WEBHOOK_RETRY_SECONDS: '1', EARSHOT_WEBHOOK_MAX_ATTEMPTS: '3', EARSHOT_WEBHOOK_TIMEOUT_MS: '500' },
    });
    const up = await api(server, '/v2/upload', { method: 'POST', body: await import('node:fs').then((fs) => fs.readFileSync(clip.wav)) });
    uploadUrl = ((await up.json()) as { upload_url: string }).upload_url;
  });
  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
  });

  async function transcribe(body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>> {
    const res = await api(server, '/v2/transcript', { method: 'POST', json: { audio_url: uploadUrl, ...body } });
    expect(res.status).toBe(200);
    const t = (await res.json()) as { id: string };
    return (await waitForTranscript(server, t.id)) as { id: string } & Record<string, unknown>;
  }

  async function deliveries(id: string): Promise<Deliveries> {
    return (await api(server, `/v2/transcript/${id}/webhook-deliveries`)).json() as Promise<Deliveries>;
  }

  it('POSTs {transcript_id, status} with the auth header and records the status code', async () => {
    const t = await transcribe({
      webhook_url: `${receiver.url}/ok`,
      webhook_auth_header_name: 'X-Secret',
      webhook_auth_header_value: 's3cret',
    });
    await receiver.waitFor(() => receiver.to('/ok').length === 1);
    const [hit] = receiver.to('/ok');
    expect(hit.body).toEqual({ transcript_id: t.id, status: 'completed' });
    expect(hit.headers['x-secret']).toBe('s3cret');
    expect(hit.headers['content-type']).toBe('application/json');
    const after = await (await api(server, `/v2/transcript/${t.id}`)).json();
    validateSchema('Transcript', after);
    expect(after.webhook_status_code).toBe(200);
    expect(after.webhook_auth).toBe(true);
    expect(after.webhook_auth_header_name).toBe('X-Secret');
    expect(JSON.stringify(after)).not.toContain('s3cret');
    const log = await deliveries(t.id);
    expect(log.deliveries.map((d) => d.status_code)).toEqual([200]);
  });

  it('retries 5xx answers until one succeeds, keeping every attempt in the delivery log', async () => {
    const t = await transcribe({ webhook_url: `${receiver.url}/fail-twice` });
    await receiver.waitFor(() => receiver.to('/fail-twice').length === 3);
    const hits = receiver.to('/fail-twice');
    // Retries wait the configured interval (1 s here).
    expect(hits[1].at - hits[0].at).toBeGreaterThanOrEqual(900);
    let log = await deliveries(t.id);
    for (let i = 0; i < 50 && log.deliveries.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = await deliveries(t.id);
    }
    expect(log.deliveries.map((d) => [d.attempt, d.status_code])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(log.webhook_status_code).toBe(200);
  });

  it('treats a 4xx as final: one attempt only', async () => {
    const t = await transcribe({ webhook_url: `${receiver.url}/gone` });
    await receiver.waitFor(() => receiver.to('/gone').length === 1);
    await new Promise((r) => setTimeout(r, 3000));
    expect(receiver.to('/gone').length).toBe(1);
    const after = await (await api(server, `/v2/transcript/${t.id}`)).json();
    expect(after.webhook_status_code).toBe(404);
  });

  it('gives up after the configured number of attempts when the receiver times out', async () => {
    const t = await transcribe({ webhook_url: `${receiver.url}/slow` });
    await receiver.waitFor(() => receiver.to('/slow').length === 3);
    await new Promise((r) => setTimeout(r, 3000));
    expect(receiver.to('/slow').length).toBe(3);
    const log = await deliveries(t.id);
    expect(log.deliveries).toHaveLength(3);
    for (const d of log.deliveries) {
      expect(d.status_code).toBeNull();
      expect(d.error).toMatch(/timeout/);
    }
  });

  it('fires for transcripts that end in error too', async () => {
    const res = await api(server, '/v2/transcript', {
      method: 'POST',
      json: { audio_url: `${receiver.url}/missing.mp3`, webhook_url: `${receiver.url}/err` },
    });
    const { id } = (await res.json()) as { id: string };
    const t = await waitForTranscript(server, id);
    expect(t.status).toBe('error');
    await receiver.waitFor(() => receiver.to('/err').length === 1);
    expect(receiver.to('/err')[0].body).toEqual({ transcript_id: id, status: 'error' });
  });
});
