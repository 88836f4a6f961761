import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateStreamingMessage } from '../helpers/asyncapi.js';
import { librivoxClips } from '../helpers/librivox.js';
import { api, startServer, type TestServer } from '../helpers/server.js';
import { connect, rawAudio, sendAudio, type WsSession } from '../helpers/streaming.js';

type Protocol = 'v3' | 'v2';
const PATH: Record<Protocol, string> = { v3: '/v3/ws', v2: '/v2/realtime/ws' };
const BYTES_PER_MS = 32; // 16 kHz 16-bit

interface Case {
  name: string;
  query?: string;
  auth?: 'key' | 'none' | 'wrong' | 'expiredToken' | 'usedToken';
  /** What the client does once the socket is open. */
  act?: (s: WsSession, audio: Buffer) => Promise<void> | void;
  expect: Record<Protocol, number>;
  /** A `Termination` / `SessionTerminated` precedes a normal close. */
  terminates?: boolean;
}

const garbage = (s: WsSession) => s.ws.send('this is not json {');
const cases: Case[] = [
  { name: 'no key', auth: 'none', expect: { v3: 1008, v2: 4001 } },
  { name: 'wrong key', auth: 'wrong', expect: { v3: 1008, v2: 4001 } },
  { name: 'expired temporary token', auth: 'expiredToken', expect: { v3: 1008, v2: 4001 } },
  { name: 'reused temporary token', auth: 'usedToken', expect: { v3: 1008, v2: 4001 } },
  { name: 'sample_rate=0', query: 'sample_rate=0', expect: { v3: 4000, v2: 4000 } },
  { name: 'sample_rate=abc', query: 'sample_rate=abc', expect: { v3: 4000, v2: 4000 } },
  { name: 'sample_rate above 48 kHz', query: 'sample_rate=96000', expect: { v3: 4000, v2: 4000 } },
  { name: 'unknown encoding', query: 'sample_rate=16000&encoding=mp3', expect: { v3: 3006, v2: 4101 } },
  { name: 'text frame of garbage', act: garbage, expect: { v3: 3006, v2: 4100 } },
  { name: 'JSON of an unknown message', act: (s) => s.ws.send('{"type":"Dance","hello":1}'), expect: { v3: 3006, v2: 4101 } },
  { name: 'JSON array', act: (s) => s.ws.send('[1,2,3]'), expect: { v3: 3006, v2: 4101 } },
  {
    name: '5 ms chunks',
    act: async (s, audio) => sendAudio((c) => s.ws.send(c), audio.subarray(0, 32_000), { bytesPerMs: BYTES_PER_MS, chunkMs: 5, speed: 1 }),
    expect: { v3: 3007, v2: 4032 },
  },
  { name: 'a 1.5 s chunk', act: (s, audio) => s.ws.send(audio.subarray(0, 1500 * BYTES_PER_MS)), expect: { v3: 3007, v2: 4033 } },
  {
    name: 'audio 10x faster than real time',
    act: async (s, audio) => {
      const long = Buffer.concat([audio, audio, audio, audio]);
      await sendAudio((c) => s.ws.readyState === s.ws.OPEN && s.ws.send(c), long, { bytesPerMs: BYTES_PER_MS, chunkMs: 100, speed: 10 });
    },
    expect: { v3: 3007, v2: 4029 },
  },
  {
    name: 'session longer than the maximum duration',
    act: async (s, audio) => {
      const long = Buffer.concat([audio, audio]);
      await sendAudio((c) => s.ws.readyState === s.ws.OPEN && s.ws.send(c), long, { bytesPerMs: BYTES_PER_MS, chunkMs: 100, speed: 1 });
    },
    expect: { v3: 3008, v2: 4008 },
  },
  {
    name: 'idle past the timeout (v3: inactivity_timeout)',
    query: 'sample_rate=16000&inactivity_timeout=5',
    expect: { v3: 1000, v2: 4031 },
    terminates: true,
  },
];

describe('bad streaming sessions close with upstream codes', () => {
  let server: TestServer;
  let audio: Buffer;

  beforeAll(async () => {
    // Small limits so every case closes quickly.
    server = await startServer({
      env: {
        EARSHOT_STREAMING_PACE_TOLERANCE_MS: '2000',
        EARSHOT_STREAMING_IDLE_SECONDS: '3',
        EARSHOT_STREAMING_MAX_SESSIONS: '2',
        EARSHOT_STREAMING_MAX_SESSION_SECONDS: '8',
      },
    });
    audio = await rawAudio(librivoxClips()[0].wav);
  });
  afterAll(() => server?.destroy());

  async function token(expires = 60): Promise<string> {
    const res = await api(server, `/v3/token?expires_in_seconds=${expires}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  const table = cases.flatMap((c) => (['v3', 'v2'] as Protocol[]).map((p) => ({ ...c, protocol: p })));

  it.each(table)('$protocol: $name', async (c) => {
    const protocol = c.protocol;
    let query = c.query ?? 'sample_rate=16000';
    const headers: Record<string, string> = {};
    if ((c.auth ?? 'key') === 'key') headers.authorization = server.key;
    if (c.auth === 'wrong') headers.authorization = 'not-a-key';
    if (c.auth === 'expiredToken') {
      const t = await token(1);
      await new Promise((r) => setTimeout(r, 2100));
      query += `&token=${t}`;
    }
    if (c.auth === 'usedToken') {
      const t = await token();
      const first = connect(`${server.url.replace('http', 'ws')}${PATH[protocol]}?${query}&token=${t}`);
      await first.next((m) => m.type === 'Begin' || m.message_type === 'SessionBegins');
      first.ws.close();
      query += `&token=${t}`;
    }
    const s = connect(`${server.url.replace('http', 'ws')}${PATH[protocol]}?${query}`, headers);
    await s.opened;
    const startedAt = Date.now();
    if (c.act) {
      await s.next((m) => m.type === 'Begin' || m.message_type === 'SessionBegins');
      await c.act(s, audio);
    }
    const closed = await s.closed;
    expect(closed.code).toBe(c.expect[protocol]);
    for (const m of s.messages) validateStreamingMessage(protocol, m);
    if (c.terminates && protocol === 'v3') {
      expect(s.messages.at(-1)!.type).toBe('Termination');
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(4500);
    } else {
      // An error frame says why, then the close.
      const last = s.messages.at(-1)!;
      expect(typeof (protocol === 'v3' ? last.error : last.error)).toBe('string');
      expect(closed.reason.length).toBeGreaterThan(0);
    }
  });

  it('refuses by name the options live sessions do not apply (v3, and v2 word_boost), and lets their no-op values through', async () => {
    const base = `${server.url.replace('http', 'ws')}/v3/ws?sample_rate=16000`;
    const refused = connect(`${base}&redact_pii=true&keyterms_prompt=${encodeURIComponent('["Earshot"]')}`, {
      authorization: server.key,
    });
    const closed = await refused.closed;
    expect(closed.code).toBe(3006);
    expect(closed.reason).toBe(
      'Invalid query parameters: not available in live sessions on this Earshot server: keyterms_prompt, redact_pii',
    );
    expect(refused.messages.some((m) => m.type === 'Begin')).toBe(false);
    // language_detection runs where a language identification model is installed; here none is, and the close says so.
    const noModel = connect(`${base}&language_detection=true`, { authorization: server.key });
    const noModelClosed = await noModel.closed;
    expect(noModelClosed.code).toBe(3006);
    expect(noModelClosed.reason).toMatch(/^Invalid query parameters: language_detection needs a spoken language identification model/);
    const noop = connect(`${base}&speaker_labels=false&language_detection=false&keyterms_prompt=%5B%5D&prompt=`, {
      authorization: server.key,
    });
    expect((await noop.next((m) => m.type === 'Begin' || m.type === 'Error')).type).toBe('Begin');
    noop.ws.close();
    await noop.closed;
    const v2 = connect(
      `${server.url.replace('http', 'ws')}/v2/realtime/ws?sample_rate=16000&word_boost=${encodeURIComponent('["Earshot"]')}`,
      {
        authorization: server.key,
      },
    );
    expect(await v2.closed).toEqual({ code: 4101, reason: expect.stringContaining('word_boost is not available in live sessions') });
  });

  it('refuses a session over the concurrency limit with 3009 / 4102 without using up its token, and frees slots on close', async () => {
    const base = server.url.replace('http', 'ws');
    const open = [
      connect(`${base}/v3/ws?sample_rate=16000`, { authorization: server.key }),
      connect(`${base}/v2/realtime/ws?sample_rate=16000`, { authorization: server.key }),
    ];
    for (const s of open) await s.next((m) => m.type === 'Begin' || m.message_type === 'SessionBegins');
    const refusedToken = await token();
    const v3 = connect(`${base}/v3/ws?sample_rate=16000&token=${refusedToken}`);
    const v2 = connect(`${base}/v2/realtime/ws?sample_rate=16000`, { authorization: server.key });
    expect((await v3.closed).code).toBe(3009);
    expect((await v2.closed).code).toBe(4102);
    for (const s of open) {
      s.ws.close();
      await s.closed;
    }
    await new Promise((r) => setTimeout(r, 200));
    // The refused session did not use up its single-use token.
    const again = connect(`${base}/v3/ws?sample_rate=16000&token=${refusedToken}`);
    await again.next((m) => m.type === 'Begin');
    again.ws.send(JSON.stringify({ type: 'Terminate' }));
    expect((await again.closed).code).toBe(1000);
  });

  it('token endpoints validate their parameters', async () => {
    expect((await api(server, '/v3/token')).status).toBe(400);
    expect((await api(server, '/v3/token?expires_in_seconds=601')).status).toBe(400);
    expect((await api(server, '/v3/token?expires_in_seconds=60&max_session_duration_seconds=5')).status).toBe(400);
    expect((await api(server, '/v3/token?expires_in_seconds=60', { headers: { authorization: 'nope' } })).status).toBe(401);
    const v2 = await api(server, '/v2/realtime/token', { method: 'POST', json: { expires_in: 10 } });
    expect(v2.status).toBe(400);
    expect(((await v2.json()) as { error: string }).error).toMatch(/expires_in/);
    const ok = await api(server, '/v2/realtime/token', { method: 'POST', json: { expires_in: 3600 } });
    expect(((await ok.json()) as { token: string }).token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stays up: health, REST and a normal session still work, and nothing crashed', async () => {
    expect((await api(server, '/health')).status).toBe(200);
    expect((await api(server, '/v2/transcript')).status).toBe(200);
    const s = connect(`${server.url.replace('http', 'ws')}/v3/ws?sample_rate=16000`, { authorization: server.key });
    await s.next((m) => m.type === 'Begin');
    await sendAudio((c) => s.ws.send(c), audio, { bytesPerMs: BYTES_PER_MS, chunkMs: 100, speed: 1.2 });
    s.ws.send(JSON.stringify({ type: 'Terminate' }));
    expect((await s.closed).code).toBe(1000);
    expect(s.messages.some((m) => m.type === 'Turn' && m.end_of_turn === true)).toBe(true);
    expect(server.process.exitCode).toBeNull();
    expect(server.output()).not.toMatch(/Unhandled|uncaught|"level":50/i);
  });
});
