import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxClips } from '../helpers/librivox.js';
import { startReceiver } from '../helpers/receiver.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connect, rawAudio, sendAudio } from '../helpers/streaming.js';

describe('streaming webhooks', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver((req, n) => ({ status: req.path === '/flaky' && n === 1 ? 503 : 200 }));
    server = await startServer({ env: { EARSHOT_STREAMING_ALLOW_FAST: 'true', EARSHOT_WEBHOOK_RETRY_SECONDS: '1' } });
  });
  afterAll(async () => {
    await server?.destroy();
    await receiver?.close();
  });

  it('POSTs {session_id, messages} when the session ends, with the auth header, retrying a 5xx', async () => {
    const audio = await rawAudio(librivoxClips()[1].wav);
    const hook = encodeURIComponent(`${receiver.url}/flaky`);
    const s = connect(
      `${server.url.replace('http', 'ws')}/v3/ws?sample_rate=16000&webhook_url=${hook}&webhook_auth_header_name=X-Token&webhook_auth_header_value=abc`,
      {
        authorization: server.key,
      },
    );
    const begin = await s.next((m) => m.type === 'Begin');
    await sendAudio((c) => s.ws.send(c), Buffer.concat([audio, Buffer.alloc(32_000)]), { bytesPerMs: 32, chunkMs: 100, speed: Infinity });
    s.ws.send(JSON.stringify({ type: 'Terminate' }));
    await s.closed;
    await receiver.waitFor(() => receiver.to('/flaky').length === 2);
    const [first, second] = receiver.to('/flaky');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
    const body = second!.body as { session_id: string; messages: Record<string, unknown>[] };
    expect(second!.headers['x-token']).toBe('abc');
    expect(body.session_id).toBe(begin.id);
    // The same messages the client received, in order.
    expect(body.messages).toEqual(s.messages);
    expect(body.messages.at(-1)!.type).toBe('Termination');
  });
});
