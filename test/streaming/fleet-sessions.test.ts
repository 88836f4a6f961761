import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type WsSession } from '../helpers/streaming.js';
import { api, createTestDatabase, startServer, type TestServer } from '../helpers/server.js';

const began = (s: WsSession) => s.next((m) => m.type === 'Begin' || m.message_type === 'SessionBegins');
const ws = (node: TestServer, path: string) => `${node.url.replace('http', 'ws')}${path}`;

describe('the streaming session limit holds across a fleet on one PostgreSQL database', () => {
  let db: { url: string; drop: () => Promise<void> };
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    const key = randomBytes(16).toString('hex');
    const opts = { storage: 'postgres' as const, databaseUrl: db.url, apiKey: key, env: { EARSHOT_STREAMING_MAX_SESSIONS: '2' } };
    a = await startServer(opts);
    b = await startServer(opts);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    await db?.drop();
  });

  it('refuses the third session across two nodes with 3009 / 4102, and the refused token works afterwards', async () => {
    const one = connect(ws(a, '/v3/ws?sample_rate=16000'), { authorization: a.key });
    const two = connect(ws(b, '/v2/realtime/ws?sample_rate=16000'), { authorization: b.key });
    await began(one);
    await began(two);

    const res = await api(b, '/v3/token?expires_in_seconds=120');
    const { token } = (await res.json()) as { token: string };
    const v3 = connect(ws(b, `/v3/ws?sample_rate=16000&token=${token}`));
    expect((await v3.closed).code).toBe(3009);
    const v2 = connect(ws(a, '/v2/realtime/ws?sample_rate=16000'), { authorization: a.key });
    expect((await v2.closed).code).toBe(4102);

    // A session ending on node A frees a slot that node B then grants, to the token refused before.
    one.ws.close();
    await one.closed;
    await new Promise((r) => setTimeout(r, 500));
    const again = connect(ws(b, `/v3/ws?sample_rate=16000&token=${token}`));
    await began(again);
    again.ws.send(JSON.stringify({ type: 'Terminate' }));
    expect((await again.closed).code).toBe(1000);
    two.ws.close();
    await two.closed;
  });
});
