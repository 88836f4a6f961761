import { AssemblyAI } from 'assemblyai';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../src/text/wer.js';
import { validateStreamingMessage } from '../helpers/asyncapi.js';
import { librivoxClips } from '../helpers/librivox.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { rawAudio, sendAudio } from '../helpers/streaming.js';

// The SDK insists on wss://; the test server's certificate is self-signed.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

const clip = librivoxClips()[0];
const BYTES_PER_MS = 32;
const SILENCE = Buffer.alloc(1500 * BYTES_PER_MS);

interface Recorded {
  raw: Record<string, unknown>[];
  finalText: string;
  audioMs: number;
}

/** Captures every raw server message next to the SDK's own handling. */
function tap(transcriber: object, raw: Record<string, unknown>[]): void {
  const socket = (transcriber as { socket?: WebSocket }).socket!;
  socket.addEventListener('message', (e) => raw.push(JSON.parse(String(e.data))));
}

describe.each([
  { mode: 'real-time pace', speed: 1, env: {} as Record<string, string> },
  { mode: 'faster than real time (allowed by flag)', speed: Infinity, env: { EARSHOT_STREAMING_ALLOW_FAST: 'true' } },
])('official SDK streaming over wss:// ($mode)', ({ speed, env }) => {
  let server: TestServer;
  let client: AssemblyAI;
  let pcm: Buffer;
  let asyncWer: number;

  beforeAll(async () => {
    server = await startServer({ env: { EARSHOT_TLS: 'self-signed', ...env } });
    expect(server.tlsUrl).toMatch(/^https:/);
    client = new AssemblyAI({ apiKey: server.key, baseUrl: server.tlsUrl!, streamingBaseUrl: server.tlsUrl! });
    pcm = await rawAudio(clip.wav);
    const t = await client.transcripts.transcribe({ audio: clip.wav, punctuate: false, format_text: false }, { pollingInterval: 250 });
    expect(t.status).toBe('completed');
    asyncWer = wordErrorRate(clip.reference, t.text!);
  });
  afterAll(() => server?.destroy());

  async function v3Session(auth: { apiKey: string } | { token: string }): Promise<Recorded> {
    const raw: Record<string, unknown>[] = [];
    const turns: { end_of_turn: boolean; turn_is_formatted: boolean; transcript: string }[] = [];
    const transcriber = client.streaming.transcriber({
      ...auth,
      websocketBaseUrl: `${server.tlsUrl!.replace('https', 'wss')}/v3/ws`,
      sampleRate: 16_000,
      formatTurns: true,
    });
    transcriber.on('turn', (t) => turns.push(t));
    const begin = await transcriber.connect();
    tap(transcriber, raw);
    expect(begin.type).toBe('Begin');
    validateStreamingMessage('v3', begin as unknown as Record<string, unknown>);
    const audio = Buffer.concat([pcm, SILENCE]);
    await sendAudio((c) => transcriber.sendAudio(new Uint8Array(c).buffer), audio, { bytesPerMs: BYTES_PER_MS, chunkMs: 100, speed });
    await transcriber.close();
    for (const m of raw) validateStreamingMessage('v3', m);

    const firstEnd = turns.findIndex((t) => t.end_of_turn);
    expect(firstEnd).toBeGreaterThan(0);
    expect(turns.slice(0, firstEnd).some((t) => !t.end_of_turn)).toBe(true);
    // Each final turn comes raw, then formatted.
    const finals = turns.filter((t) => t.end_of_turn && !t.turn_is_formatted);
    const formatted = turns.filter((t) => t.end_of_turn && t.turn_is_formatted);
    expect(formatted.length).toBe(finals.length);
    for (const f of formatted) expect(f.transcript).toMatch(/^[A-Z].*[.?!]$/);
    const termination = raw.at(-1)!;
    expect(termination.type).toBe('Termination');
    expect(termination.audio_duration_seconds).toBe(Math.round(audio.length / BYTES_PER_MS / 1000));
    if (speed === 1) expect(termination.session_duration_seconds).toBeGreaterThanOrEqual(Math.floor(audio.length / BYTES_PER_MS / 1000));
    return { raw, finalText: finals.map((t) => t.transcript).join(' '), audioMs: audio.length / BYTES_PER_MS };
  }

  it('v3 with the API key: Begin first, partials before the end of turn, final text as good as the async transcript', async () => {
    const s = await v3Session({ apiKey: server.key });
    expect(s.raw.length).toBeGreaterThan(3);
    expect(wordErrorRate(clip.reference, s.finalText)).toBeLessThanOrEqual(asyncWer + 0.02);
  });

  it('v3 with a temporary token from createTemporaryToken, which works once', async () => {
    const token = await client.streaming.createTemporaryToken({ expires_in_seconds: 60 });
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const s = await v3Session({ token });
    expect(wordErrorRate(clip.reference, s.finalText)).toBeLessThanOrEqual(asyncWer + 0.02);
    const again = client.streaming.transcriber({
      token,
      websocketBaseUrl: `${server.tlsUrl!.replace('https', 'wss')}/v3/ws`,
      sampleRate: 16_000,
    });
    await expect(again.connect()).rejects.toThrow();
  });

  it('v2 realtime transcriber with a temporary token: SessionBegins, partials, finals, SessionInformation', async () => {
    const token = await client.realtime.createTemporaryToken({ expires_in: 60 });
    const rt = client.realtime.transcriber({
      token,
      realtimeUrl: `${server.tlsUrl!.replace('https', 'wss')}/v2/realtime/ws`,
      sampleRate: 16_000,
    });
    const raw: Record<string, unknown>[] = [];
    const partials: string[] = [];
    const finals: string[] = [];
    let info: { audio_duration_seconds: number } | null = null;
    rt.on('transcript.partial', (t) => partials.push(t.text));
    rt.on('transcript.final', (t) => finals.push(t.text));
    rt.on('session_information', (i) => (info = i));
    const opened = await rt.connect();
    tap(rt, raw);
    expect(opened.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const audio = Buffer.concat([pcm, SILENCE]);
    await sendAudio((c) => rt.sendAudio(new Uint8Array(c).buffer), audio, { bytesPerMs: BYTES_PER_MS, chunkMs: 100, speed });
    await rt.close();
    for (const m of raw) validateStreamingMessage('v2', m);
    expect(partials.length).toBeGreaterThan(0);
    expect(finals.length).toBeGreaterThan(0);
    expect(info!.audio_duration_seconds).toBeCloseTo(audio.length / BYTES_PER_MS / 1000, 1);
    expect(raw.at(-1)!.message_type).toBe('SessionTerminated');
    expect(wordErrorRate(clip.reference, finals.join(' '))).toBeLessThanOrEqual(asyncWer + 0.02);
  });
});
